"""Call each Runnable of the service with invoke, batch and stream: through Kafka, then through
the gateway with an API key.

`python -m examples.runnables_service.client [GATEWAY_URL]`, with a worker and a gateway of
examples.runnables_service.app running (run.sh starts them); GATEWAY_KEY is the API key.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Any

import httpx
from langchain_core.documents import Document
from langchain_core.runnables import Runnable
from langserve import RemoteRunnable

from examples.runnables_service.app import answer, app, research, retrieve

QUESTIONS = [{"question": "What is a topic?"}, {"question": "What is an offset?"}]
QUERIES = ["consumer groups", "replication"]


def show(value: Any) -> str:
    """A short, stable text of an output: documents by their note number."""
    if isinstance(value, Document):
        return f"note {value.metadata['note']}"
    if isinstance(value, list):
        return "[" + ", ".join(show(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {show(item)}" for key, item in sorted(value.items())) + "}"
    return repr(value)


def exercise(label: str, runnable: Runnable[Any, Any], inputs: list[Any]) -> None:
    """invoke, batch and stream one Runnable, printing one line for each."""
    print(f"{label}.invoke -> {show(runnable.invoke(inputs[0]))}")
    print(f"{label}.batch -> {show(runnable.batch(inputs))}")
    chunks = list(runnable.stream(inputs[0]))
    print(f"{label}.stream -> {len(chunks)} chunks: {show(_added(chunks))}")


def _added(chunks: Iterable[Any]) -> Any:
    """The chunks of a stream added up, as LangChain adds them (strings, dicts of parts)."""
    total: Any = None
    for chunk in chunks:
        total = chunk if total is None else total + chunk
    return total


def through_kafka() -> None:
    print("# through Kafka")
    exercise("service.answer", answer, QUESTIONS)
    exercise("service.retrieve", retrieve, QUERIES)
    exercise("service.research", research, QUESTIONS)
    # The worker's retriever finds what this process's copy finds: the same store everywhere.
    print("same notes as a local call:", retrieve.invoke(QUERIES[0]) == retrieve(QUERIES[0]))


def through_gateway(url: str, key: str) -> None:
    print(f"# through the gateway at {url}")
    headers = {"Authorization": f"Bearer {key}"}
    for name, inputs in [
        ("service.answer", QUESTIONS),
        ("service.retrieve", QUERIES),
        ("service.research", QUESTIONS),
    ]:
        exercise(name, RemoteRunnable(f"{url}/{name}", headers=headers, timeout=60), inputs)
    refused = httpx.post(f"{url}/service.answer/invoke", json={"input": QUESTIONS[0]})
    print("without the key ->", refused.status_code)


def main(url: str) -> None:
    through_kafka()
    through_gateway(url, os.environ["GATEWAY_KEY"])
    app.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
