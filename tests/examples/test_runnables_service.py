"""examples/runnables_service runs as its README says (run.sh: a worker, a gateway with an API
key, the dashboard, the client), against the real broker, and the dashboard shows its tasks."""

from __future__ import annotations

import httpx
import pytest

from examples.runnables_service.app import ANSWER, retriever
from tests.examples.running import run_example
from tests.helpers import wait_for

pytestmark = pytest.mark.integration

SCRIPT = "examples/runnables_service/run.sh"
TASKS = ["service.answer", "service.retrieve", "service.research"]


def _notes(query: str) -> str:
    """The notes the retriever finds for `query` here, in the client's words."""
    return "[" + ", ".join(f"note {doc.metadata['note']}" for doc in retriever.invoke(query)) + "]"


def test_the_service_answers_through_kafka_and_the_gateway(module_settings, example_logs):
    with run_example(
        SCRIPT, module_settings, example_logs, "GATEWAY_PORT", "DASHBOARD_PORT"
    ) as run:
        run.wait_for_line("dashboard: ", 90)
        output = run.output()
        kafka = output.split("# through Kafka\n")[1].split("# through the gateway")[0]
        gateway = output.split("# through the gateway at ")[1].split("\n", 1)[1]

        # Every Runnable answered invoke, batch and stream, through Kafka and through the
        # gateway alike, with what the same Runnables give locally.
        assert f"service.answer.invoke -> {ANSWER!r}" in kafka
        assert f"service.answer.stream -> {len(ANSWER.split()) * 2 - 1} chunks: {ANSWER!r}" in kafka
        query, other = "consumer groups", "replication"
        assert f"service.retrieve.invoke -> {_notes(query)}" in kafka
        assert f"service.retrieve.batch -> [{_notes(query)}, {_notes(other)}]" in kafka
        research = f"{{answer: {ANSWER!r}, sources: {_notes('What is a topic?')}, words: 4}}"
        assert f"service.research.invoke -> {research}" in kafka
        assert f"chunks: {research}" in kafka
        assert "same notes as a local call: True" in kafka
        for line in kafka.splitlines()[:-1]:
            assert line in gateway, line
        assert "without the key -> 401" in gateway

        # The dashboard shows the service running: its worker online, each task succeeded.
        dashboard = f"http://127.0.0.1:{run.ports['DASHBOARD_PORT']}"

        def shown() -> bool:
            workers = httpx.get(f"{dashboard}/api/workers", timeout=5).json()["workers"]
            names = {
                task["name"]
                for task in httpx.get(
                    f"{dashboard}/api/tasks", params={"state": "SUCCESS", "limit": 1000}, timeout=5
                ).json()["tasks"]
            }
            return any(w["status"] == "online" for w in workers) and set(TASKS) <= names

        wait_for(shown, 30, "the dashboard to show the worker and the tasks")
