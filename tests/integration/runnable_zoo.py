"""Runnables of every kind, for the equivalence suite: each with an input to call it with."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.language_models import (
    FakeListChatModel,
    FakeStreamingListLLM,
    GenericFakeChatModel,
)
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.output_parsers import JsonOutputParser, StrOutputParser
from langchain_core.prompts import ChatPromptTemplate, PromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import (
    ConfigurableField,
    Runnable,
    RunnableBranch,
    RunnableGenerator,
    RunnableLambda,
    RunnableParallel,
    RunnablePassthrough,
)


@dataclass
class Case:
    name: str
    runnable: Runnable[Any, Any]
    inputs: list[Any]
    async_only: bool = False
    """Locally only the async methods work; the sync ones are compared with those."""
    unordered_stream: bool = False
    """Chunks come in completion order (RunnableParallel): compare what they add up to."""


async def _slow_double(x: int) -> int:
    await asyncio.sleep(0.001)
    return 2 * x


def _split_words(chunks: Iterator[str]) -> Iterator[str]:
    for chunk in chunks:
        yield from chunk.split()


async def _asplit_words(chunks: AsyncIterator[str]) -> AsyncIterator[str]:
    async for chunk in chunks:
        for word in chunk.split():
            yield word


def _flaky() -> Callable[[int], int]:
    """Fails the first time it sees an input, and succeeds from then on (on the retry)."""
    seen: set[int] = set()

    def flaky(x: int) -> int:
        if x not in seen:
            seen.add(x)
            raise ValueError("first attempt fails")
        return x + 100

    return flaky


def _always_fails(x: Any) -> Any:
    raise RuntimeError("primary is down")


class KeywordRetriever(BaseRetriever):
    """A fake retriever: the documents sharing the most words with the query."""

    documents: list[Document]
    k: int = 2

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        words = set(query.lower().split())
        ranked = sorted(
            self.documents, key=lambda d: -len(words & set(d.page_content.lower().split()))
        )
        return ranked[: self.k]


def _retriever() -> KeywordRetriever:
    texts = ["kafka is a log", "langchain composes runnables", "workers consume a log"]
    return KeywordRetriever(
        documents=[Document(page_content=t, metadata={"n": i}) for i, t in enumerate(texts)]
    )


def cases() -> list[Case]:
    prompt = ChatPromptTemplate.from_messages([("system", "be brief"), ("human", "{question}")])
    chat = FakeListChatModel(responses=["kafka keeps every message"])
    chooser = FakeListChatModel(responses=["default"]).configurable_alternatives(
        ConfigurableField(id="model"),
        default_key="default",
        other=FakeListChatModel(responses=["the other model"]),
    )
    return [
        Case("lambda", RunnableLambda(lambda x: x * 2), [21, 0, -3]),
        Case("async-lambda", RunnableLambda(_slow_double), [4, 5], async_only=True),
        Case("sequence", prompt | chat | StrOutputParser(), [{"question": "what is kafka?"}]),
        Case(
            "parallel",
            RunnableParallel(
                plus=RunnableLambda(lambda x: x + 1), times=RunnableLambda(lambda x: x * 3)
            ),
            [2, 7],
            unordered_stream=True,
        ),
        Case("passthrough", RunnablePassthrough(), [{"a": 1}, "text"]),
        Case(
            "assign",
            RunnablePassthrough.assign(total=lambda d: d["x"] + d["y"]),
            [{"x": 1, "y": 2}],
        ),
        Case(
            "branch",
            RunnableBranch(
                (lambda x: x > 0, RunnableLambda(lambda x: f"positive {x}")),
                RunnableLambda(lambda x: f"not positive {x}"),
            ),
            [5, -5],
        ),
        Case("chat-prompt", prompt, [{"question": "hi"}]),
        Case("string-prompt", PromptTemplate.from_template("Hello {name}!"), [{"name": "kafka"}]),
        Case("str-parser", StrOutputParser(), [AIMessage(content="parsed text")]),
        Case("json-parser", JsonOutputParser(), ['{"answer": 42, "items": [1, 2]}']),
        Case("chat-model", chat, ["question"]),
        Case(
            "generic-chat-model",
            GenericFakeChatModel(
                messages=itertools.cycle([AIMessage(content="tokens one by one")])
            ),
            ["go"],
        ),
        Case("llm", FakeStreamingListLLM(responses=["streamed llm text"]), ["prompt"]),
        Case("retriever", _retriever(), ["kafka log"]),
        Case(
            "with-config",
            RunnableLambda(lambda x: x.upper()).with_config(tags=["upper"], run_name="shout"),
            ["abc"],
        ),
        Case("with-retry", RunnableLambda(_flaky()).with_retry(stop_after_attempt=2), [1, 2]),
        Case(
            "with-fallbacks",
            RunnableLambda(_always_fails).with_fallbacks(
                [RunnableLambda(lambda x: f"fallback {x}")]
            ),
            ["x"],
        ),
        Case("bind", chat.bind(stop=["never"]), ["bound"]),
        Case("configurable-alternatives", chooser, ["which?"]),
        Case("generator", RunnableGenerator(_split_words, _asplit_words), ["split these words"]),
    ]


def normalize(value: Any) -> Any:
    """Drop what differs between two runs of the same thing: generated message ids."""
    if isinstance(value, BaseMessage):
        return value.model_copy(update={"id": None})
    if isinstance(value, list):
        return [normalize(item) for item in value]
    if isinstance(value, dict):
        return {key: normalize(item) for key, item in value.items()}
    return value
