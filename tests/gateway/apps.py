"""The tasks the gateway tests serve: registered on the test's App, or on this module's `app`
for worker and gateway processes (`-A tests.gateway.apps`, settings from KAFKATASK_*)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from typing import Any

from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder, PromptTemplate
from langchain_core.runnables import ConfigurableField, RunnableConfig, RunnableLambda

from kafkatask import App, BoundTask

ANSWER = "Kafka keeps every token in order."
WORDS = [f"word{i}" for i in range(30)]


class QuotaExceededError(Exception):
    """An error of the application's own, raised on the worker."""


def _config_of(value: Any, config: RunnableConfig) -> dict[str, Any]:
    return {
        "input": value,
        "tags": config.get("tags", []),
        "metadata": {k: v for k, v in config.get("metadata", {}).items() if k == "team"},
        "configurable": {k: v for k, v in config.get("configurable", {}).items() if k == "mood"},
    }


def register(app: App) -> None:
    """Register every test task on `app`."""

    @app.task(name="tests.add")
    def add(x: int, y: int) -> int:
        """Add two numbers."""
        return x + y

    @app.task(name="tests.words")
    def words(count: int, pause: float = 0.0) -> Iterator[str]:
        for word in WORDS[:count]:
            time.sleep(pause)
            yield word + " "

    @app.task(name="tests.fail_after")
    def fail_after(count: int) -> Iterator[str]:
        for index in range(count):
            yield f"chunk{index} "
        raise QuotaExceededError(f"quota exceeded after {count} chunks")

    @app.task(name="tests.boom")
    def boom(text: str) -> str:
        raise ValueError(f"cannot take {text!r}")

    @app.task(name="tests.whoami", bind=True)
    def whoami(self: BoundTask, note: str) -> dict[str, str]:
        return dict(self.request.headers)

    @app.task(name="tests.sleepy")
    def sleepy(seconds: float) -> str:
        time.sleep(seconds)
        return "awake"

    prompt = ChatPromptTemplate.from_messages(
        [("system", "Answer briefly."), MessagesPlaceholder("history"), ("human", "{question}")]
    )
    model = GenericFakeChatModel(messages=itertools.cycle([AIMessage(content=ANSWER)]))
    app.task(prompt | model, name="tests.chat")
    app.task(RunnableLambda(_config_of), name="tests.config")
    greeting = PromptTemplate.from_template("Hello {name}!").configurable_fields(
        template=ConfigurableField(id="template", name="Template", description="the greeting")
    )
    app.task(greeting, name="tests.greet")


app = App("gateway-tests")
register(app)
