"""The gateway from Python, with LangServe's own client: `python -m examples.gateway.client URL`.

Start a worker (`kafkatask worker -A examples.gateway.app`) and a gateway (`kafkatask gateway
-A examples.gateway.app`) first. Set GATEWAY_KEY when the gateway has API keys.
"""

from __future__ import annotations

import asyncio
import os
import sys

from langchain_core.messages import AIMessage, HumanMessage
from langserve import RemoteRunnable


def remote(url: str, task: str) -> RemoteRunnable:
    key = os.environ.get("GATEWAY_KEY")
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return RemoteRunnable(f"{url}/{task}", headers=headers, timeout=60)


def main(url: str) -> None:
    add = remote(url, "examples.add")
    print("invoke:", add.invoke({"x": 2, "y": 3}))
    print("batch:", add.batch([{"x": 1, "y": 2}, {"x": 3, "y": 4}]))

    chat = remote(url, "examples.chat")
    question = {
        "history": [HumanMessage("Hello"), AIMessage("Hi! Ask me anything.")],
        "question": "Why Kafka?",
    }
    config = {"tags": ["example"], "metadata": {"user": "ada"}}
    answer = chat.invoke(question, config=config)
    print(f"invoke: {type(answer).__name__}: {answer.content}")
    print("stream:", "".join(str(chunk.content) for chunk in chat.stream(question)))

    async def streamed() -> str:
        return "".join([str(chunk.content) async for chunk in chat.astream(question)])

    print("astream:", asyncio.run(streamed()))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
