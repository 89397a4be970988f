"""delay/apply_async/AsyncResult round trips through a real broker and worker."""

from __future__ import annotations

import asyncio
import time

import pytest
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, HumanMessage

from kafkatask import App, RemoteTaskError, TaskState, TaskTimeoutError
from tests.helpers import wait_for


class InsufficientFundsError(Exception):
    pass


def test_sync_task_round_trip(app, start_worker):
    @app.task
    def add(x: int, y: int) -> int:
        return x + y

    start_worker(app)
    result = add.delay(2, 3)
    assert result.get(timeout=30) == 5
    assert result.state == TaskState.SUCCESS
    assert result.ready()
    assert result.successful()
    assert not result.failed()
    assert result.result == 5
    assert result.traceback is None


def test_async_task_runs_on_the_workers_event_loop(app, start_worker):
    @app.task
    async def fetch(url: str) -> str:
        await asyncio.sleep(0.01)
        return f"fetched {url}"

    start_worker(app)
    assert fetch.delay("kafka://x").get(timeout=30) == "fetched kafka://x"


async def test_awaiting_a_result_from_async_code(app, start_worker):
    @app.task
    def mul(x: int, y: int) -> int:
        return x * y

    start_worker(app)
    assert await mul.apply_async((6, 7)).aget(timeout=30) == 42
    assert await mul.delay(2, 2) == 4


def test_default_name_is_module_and_function(app):
    @app.task
    def anything() -> None:
        return None

    assert anything.name == f"{__name__}.test_default_name_is_module_and_function.<locals>.anything"


def test_remote_exception_keeps_type_message_and_traceback(app, start_worker):
    @app.task
    def withdraw(amount: int) -> int:
        raise InsufficientFundsError(f"cannot withdraw {amount}")

    start_worker(app)
    result = withdraw.delay(100)
    with pytest.raises(InsufficientFundsError, match="cannot withdraw 100") as raised:
        result.get(timeout=30)
    assert result.state == TaskState.FAILURE
    assert result.failed()
    assert "in withdraw" in result.traceback
    assert 'raise InsufficientFundsError(f"cannot withdraw {amount}")' in result.traceback
    assert any("Remote traceback" in note for note in raised.value.__notes__)
    # propagate=False returns the exception instead of raising it
    assert isinstance(result.get(timeout=1, propagate=False), InsufficientFundsError)
    assert isinstance(result.result, InsufficientFundsError)


def test_unknown_exception_type_becomes_remote_task_error(app, start_worker):
    @app.task
    def fail() -> None:
        kind = type("LocalOnlyError", (Exception,), {"__module__": "not.imported.here"})
        raise kind("only the worker knows this type")

    start_worker(app)
    with pytest.raises(RemoteTaskError, match="only the worker knows") as raised:
        fail.delay().get(timeout=30)
    assert raised.value.remote_type == "not.imported.here.LocalOnlyError"
    assert "LocalOnlyError" in raised.value.remote_traceback


def test_get_timeout_names_task_and_state_and_handle_can_wait_again(app, start_worker):
    @app.task
    def nap(seconds: float) -> str:
        import time

        time.sleep(seconds)
        return "rested"

    result = nap.delay(0.5)
    with pytest.raises(TaskTimeoutError, match=rf"{nap.name}\[{result.id}\] is still PENDING"):
        result.get(timeout=0.2)
    with pytest.raises(TimeoutError):  # a TaskTimeoutError is a TimeoutError too
        result.get(timeout=0.1)
    start_worker(app)
    assert result.get(timeout=30) == "rested"


def test_async_result_from_an_id_alone(app, start_worker):
    @app.task
    def echo(value: str) -> str:
        return value

    start_worker(app)
    sent = echo.apply_async(("hello",), task_id="my-chosen-id")
    assert sent.id == "my-chosen-id"
    assert app.AsyncResult("my-chosen-id").get(timeout=30) == "hello"
    assert echo.AsyncResult(sent.id).get(timeout=1) == "hello"


def test_langchain_objects_travel_as_themselves(app, start_worker):
    @app.task
    def reply(messages: list, docs: list[Document]) -> AIMessage:
        assert all(isinstance(d, Document) for d in docs)
        last = messages[-1]
        return AIMessage(content=f"{type(last).__name__}: {last.content} ({len(docs)} docs)")

    start_worker(app)
    answer = reply.delay([HumanMessage("hi")], [Document(page_content="a", metadata={"n": 1})])
    value = answer.get(timeout=30)
    assert isinstance(value, AIMessage)
    assert value.content == "HumanMessage: hi (1 docs)"


def test_rich_python_values_survive(app, start_worker):
    import datetime as dt
    import decimal
    import uuid

    @app.task
    def identity(value: object) -> object:
        return value

    start_worker(app)
    value = {
        "when": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        "id": uuid.UUID(int=7),
        "price": decimal.Decimal("9.99"),
        "pair": (1, "a"),
        "blob": b"\x00\xff",
        "tags": {"x", "y"},
        7: "int key",
    }
    assert identity.delay(value).get(timeout=30) == value


def test_json_codec_round_trip(settings, start_worker):
    app = App("json", settings=settings, codec="json")

    @app.task
    def greet(name: str) -> dict:
        return {"greeting": f"hello {name}"}

    start_worker(app)
    try:
        assert greet.delay("kafka").get(timeout=30) == {"greeting": "hello kafka"}
    finally:
        app.close()


def test_track_started_reports_received_and_started(app, start_worker):
    import threading

    release = threading.Event()

    @app.task(track_started=True)
    def wait_for_release() -> str:
        release.wait(30)
        return "done"

    start_worker(app)
    result = wait_for_release.delay()
    wait_for(lambda: result.state == TaskState.STARTED, 30, "STARTED on the handle")
    assert not result.ready()
    release.set()
    assert result.get(timeout=30) == "done"


def test_headers_and_routing_options_reach_the_worker(settings, start_worker):
    app = App("routing", settings=settings)

    @app.task(queue="high")
    def where() -> str:
        return "high queue"

    start_worker(app, queues=["high"])
    try:
        assert where.apply_async(key="customer-42", headers={"tenant": "t1"}).get(timeout=30) == (
            "high queue"
        )
        assert where.apply_async(queue="high", expires=60).get(timeout=30) == "high queue"
    finally:
        app.close()


def test_a_waiting_caller_and_an_idle_worker_do_not_wait_for_linger(settings, start_worker):
    # Given a client and a worker whose producers would hold each record for 3 s to batch it
    app = App("tests", settings=settings.model_copy(update={"producer": {"linger.ms": 3000}}))

    @app.task
    def echo(x: int) -> int:
        return x

    try:
        start_worker(app)
        assert echo.delay(0).get(timeout=60) == 0  # the worker has joined its group

        # When a caller sends one task and waits for it
        began = time.monotonic()
        assert echo.delay(1).get(timeout=30) == 1

        # Then neither the request nor the reply waited 3 s: the caller's wait sent the
        # request at once, and the worker, with nothing else running, sent the reply at once
        assert time.monotonic() - began < 2.5
    finally:
        app.close()
