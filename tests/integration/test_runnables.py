"""Task handles as LangChain Runnables: composition, config, callbacks, events, schemas, batch."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import (
    ConfigurableField,
    RunnableConfig,
    RunnableGenerator,
    RunnableLambda,
)
from pydantic import ValidationError

from tests.helpers import wait_for
from tests.integration.runnable_zoo import KeywordRetriever, normalize


def _chat_model(text: str) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([AIMessage(content=text)] * 50))


def test_a_task_composes_with_local_runnables(app, start_worker):
    # local prompt | remote model | local parser
    remote_model = app.task(FakeListChatModel(responses=["remote answer"]), name="model")
    start_worker(app)
    chain = ChatPromptTemplate.from_messages([("human", "{q}")]) | remote_model | StrOutputParser()
    assert chain.invoke({"q": "x"}) == "remote answer"
    assert chain.batch([{"q": "a"}, {"q": "b"}]) == ["remote answer", "remote answer"]
    assert "".join(chain.stream({"q": "s"})) == "remote answer"


def test_streaming_stays_incremental_through_a_local_chain(app, start_worker):
    produced: list[float] = []

    def slow_tokens(inputs: Iterator[Any]) -> Iterator[str]:
        next(iter(inputs))
        for word in ("one ", "two ", "three ", "four "):
            time.sleep(0.2)
            produced.append(time.monotonic())
            yield word

    remote = app.task(RunnableGenerator(slow_tokens), name="tokens")
    start_worker(app)
    chain = RunnableLambda(lambda text: text.strip()) | remote | StrOutputParser()
    arrivals = [(time.monotonic(), chunk) for chunk in chain.stream("  go  ")]
    assert [chunk for _, chunk in arrivals] == ["one ", "two ", "three ", "four "]
    assert arrivals[0][0] < produced[-1] - 0.4


def test_config_travels_tags_metadata_configurable_recursion_limit(app, start_worker):
    seen: dict[str, Any] = {}

    def inspect_config(value: str, config: RunnableConfig) -> str:
        seen.update(
            tags=config.get("tags"),
            metadata=config.get("metadata"),
            recursion_limit=config.get("recursion_limit"),
        )
        return value

    echo = app.task(RunnableLambda(inspect_config), name="echo")
    model = FakeListChatModel(responses=["default"]).configurable_fields(
        responses=ConfigurableField(id="answers")
    )
    chooser = app.task(model, name="chooser")
    start_worker(app)

    config: RunnableConfig = {
        "tags": ["caller-tag"],
        "metadata": {"user": "u1", "attempt": 2},
        "recursion_limit": 7,
    }
    assert echo.invoke("hi", config) == "hi"
    assert "caller-tag" in seen["tags"]
    assert seen["metadata"]["user"] == "u1"
    assert seen["metadata"]["attempt"] == 2
    assert seen["recursion_limit"] == 7
    # a configurable field chosen by the caller takes effect on the worker
    picked = chooser.invoke("q", {"configurable": {"answers": ["chosen by the caller"]}})
    assert picked.content == "chosen by the caller"
    assert chooser.invoke("q").content == "default"


async def test_run_name_travels(app, start_worker):
    echo = app.task(RunnableLambda(lambda x: x), name="echo")
    start_worker(app)
    events = [e async for e in echo.astream_events("x", {"run_name": "custom-name"})]
    assert events[0]["name"] == "custom-name"


def test_the_callers_callbacks_see_one_run_per_remote_call(app, start_worker):
    class Recorder(BaseCallbackHandler):
        def __init__(self) -> None:
            self.events: list[tuple[str, Any]] = []

        def on_chain_start(self, serialized, inputs, **kwargs):
            self.events.append(("start", inputs))

        def on_chain_end(self, outputs, **kwargs):
            self.events.append(("end", outputs))

        def on_chain_error(self, error, **kwargs):
            self.events.append(("error", type(error).__name__))

    local = RunnableLambda(lambda x: x * 2)
    double = app.task(local, name="double")
    start_worker(app)
    recorder = Recorder()
    assert double.invoke(4, {"callbacks": [recorder]}) == 8
    assert recorder.events == [("start", 4), ("end", 8)]
    # a stream reports what a local stream of one Runnable reports
    recorder.events.clear()
    assert list(double.stream(5, {"callbacks": [recorder]})) == [10]
    remote_events = list(recorder.events)
    recorder.events.clear()
    assert list(local.stream(5, {"callbacks": [recorder]})) == [10]
    assert remote_events == recorder.events
    assert remote_events[-1] == ("end", 10)


async def test_astream_events_show_the_steps_inside_the_worker(app, start_worker):
    retriever = KeywordRetriever(documents=[])
    chain = (
        RunnableLambda(lambda q: {"question": q})
        | ChatPromptTemplate.from_messages([("human", "{question}")])
        | _chat_model("streamed model tokens")
        | StrOutputParser()
    )
    rag = app.task(chain, name="rag")
    search = app.task(retriever, name="search")
    start_worker(app)
    run_id = uuid.uuid4()

    events = [e async for e in rag.astream_events("what?", {"run_id": run_id}, version="v2")]
    kinds = [e["event"] for e in events]
    assert events[0]["event"] == "on_chain_start"
    assert events[0]["run_id"] == str(run_id)  # the caller's run id is the root
    assert events[-1]["event"] == "on_chain_end"
    assert events[-1]["data"]["output"] == "streamed model tokens"
    assert "on_prompt_end" in kinds
    assert kinds.count("on_chat_model_stream") > 1  # the model's tokens, one by one
    assert "on_parser_stream" in kinds
    steps = [e for e in events if e["run_id"] != str(run_id)]
    assert steps
    assert all(e["parent_ids"][0] == str(run_id) for e in steps)
    retriever_events = [e["event"] async for e in search.astream_events("kafka")]
    assert "on_retriever_end" in retriever_events

    only_model = [e async for e in rag.astream_events("what?", include_types=["chat_model"])]
    assert only_model
    assert {e["event"][3:].rsplit("_", 1)[0] for e in only_model} == {"chat_model"}
    with pytest.raises(NotImplementedError, match="version 'v2' only"):
        [e async for e in rag.astream_events("what?", version="v1")]


def test_input_and_output_schemas_are_the_remote_runnables(app):
    prompt = ChatPromptTemplate.from_messages([("human", "{topic} in {style}")])
    task = app.task(prompt | FakeListChatModel(responses=["x"]), name="chain")
    local = prompt | FakeListChatModel(responses=["x"])
    assert task.input_schema.model_json_schema() == local.input_schema.model_json_schema()
    assert task.output_schema.model_json_schema() == local.output_schema.model_json_schema()

    @app.task
    def add(x: int, y: int = 1) -> int:
        return x + y

    schema = add.input_schema.model_json_schema()
    assert schema["required"] == ["x"]
    assert schema["properties"]["y"]["default"] == 1


def test_bad_input_is_a_validation_error_naming_the_field_on_the_caller(app):
    prompt = ChatPromptTemplate.from_messages([("human", "{topic}")])
    task = app.task(prompt | FakeListChatModel(responses=["x"]), name="chain")
    with pytest.raises(ValidationError, match="topic\n  Field required"):
        task.invoke({"subject": "wrong key"})
    with pytest.raises(ValidationError, match="topic"):
        task.batch([{"topic": "fine"}, {"nope": 1}])


def test_batch_keeps_order_and_returns_exceptions_in_place(app, start_worker):
    def maybe_fail(x: int) -> int:
        if x % 3 == 0:
            raise ValueError(f"no multiples of three: {x}")
        time.sleep(0.01 * (10 - x))  # finish out of order
        return x * 10

    task = app.task(RunnableLambda(maybe_fail), name="maybe_fail")
    start_worker(app, concurrency=8)
    results = task.batch(list(range(1, 10)), return_exceptions=True)
    for x, result in zip(range(1, 10), results, strict=True):
        if x % 3 == 0:
            assert isinstance(result, ValueError)
            assert str(result) == f"no multiples of three: {x}"
        else:
            assert result == x * 10
    with pytest.raises(ValueError, match="no multiples of three"):
        task.batch([1, 3])


def test_batch_max_concurrency_bounds_tasks_in_flight(app, start_worker):
    running = 0
    peak = 0
    lock = threading.Lock()

    def tracked(x: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.1)
        with lock:
            running -= 1
        return x

    task = app.task(RunnableLambda(tracked), name="tracked")
    start_worker(app, concurrency=8)
    assert task.batch(list(range(10)), {"max_concurrency": 2}) == list(range(10))
    assert peak == 2


async def test_abatch_keeps_order_and_bounds_concurrency(app, start_worker):
    task = app.task(RunnableLambda(lambda x: x + 1), name="inc")
    start_worker(app)
    assert await task.abatch(list(range(20)), {"max_concurrency": 3}) == list(range(1, 21))


def test_batch_fans_out_over_partitions_so_every_worker_helps(app, start_worker):
    task = app.task(RunnableLambda(lambda x: time.sleep(0.02) or x), name="spread")
    first = start_worker(app, concurrency=4, name="first")
    second = start_worker(app, concurrency=4, name="second")
    wait_for(lambda: first.partitions() and second.partitions(), 60, "both workers' partitions")
    assert task.batch(list(range(40))) == list(range(40))
    assert first.stats.succeeded > 5
    assert second.stats.succeeded > 5


def test_function_task_as_runnable(app, start_worker):
    @app.task
    def area(width: int, height: int) -> int:
        return width * height

    @app.task
    def shout(text: str) -> str:
        return text.upper()

    start_worker(app)
    assert area.invoke({"width": 3, "height": 4}) == 12
    assert shout.invoke("hey") == "HEY"
    assert shout.batch(["a", "b"]) == ["A", "B"]
    assert list(shout.stream("s")) == ["S"]
    assert normalize((RunnableLambda(lambda s: s * 2) | shout).invoke("ab")) == "ABAB"
