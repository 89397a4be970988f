"""Streams that survive: order, replay, resume, errors, chunk types, a worker dying mid-way."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Iterator

import pytest
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.runnables import RunnableGenerator

from kafkatask import App
from kafkatask.exceptions import TaskRevokedError, UnknownTaskError
from kafkatask.streaming import StreamRestart
from tests.apps.stream_app import WORDS
from tests.helpers import spawn_worker, wait_for


def _counting(n: int, fail_at: int | None = None):
    def generate(inputs: Iterator[str]) -> Iterator[str]:
        prefix = next(iter(inputs))
        for i in range(n):
            if i == fail_at:
                raise ConnectionError(f"model went away after {i} chunks")
            yield f"{prefix}-{i}"

    return RunnableGenerator(generate)


def test_chunks_arrive_in_order_and_get_returns_the_aggregate(app, start_worker):
    count = app.task(_counting(50), name="count")
    start_worker(app)
    result = count.apply_async(("c",), stream=True)
    assert list(result.stream(timeout=30)) == [f"c-{i}" for i in range(50)]
    assert result.get(timeout=30) == "".join(f"c-{i}" for i in range(50))


def test_first_chunk_arrives_before_the_last_is_produced(app, start_worker):
    produced: list[float] = []

    def slow(inputs: Iterator[str]) -> Iterator[str]:
        next(iter(inputs))
        for i in range(5):
            time.sleep(0.2)
            produced.append(time.monotonic())
            yield f"token{i} "

    task = app.task(RunnableGenerator(slow), name="slow")
    start_worker(app)
    arrivals = []
    for _chunk in task.stream("go"):
        arrivals.append(time.monotonic())
    assert len(arrivals) == 5
    assert arrivals[0] < produced[-1] - 0.5  # the first came a good while before the last


def test_a_second_subscriber_replays_the_whole_stream_after_it_finished(
    app, settings, start_worker
):
    count = app.task(_counting(20), name="count")
    start_worker(app)
    result = count.apply_async(("r",), stream=True)
    first = list(result.stream(timeout=30))
    # a second reader on the same handle, and one in another client with just the cursor
    assert list(result.stream(timeout=30)) == first
    other = App("other-client", settings=settings)
    try:
        assert list(other.stream(result.cursor, timeout=30)) == first
    finally:
        other.close()


def test_a_reader_that_reconnects_resumes_with_no_gap_and_no_repeat(app, start_worker):
    count = app.task(_counting(30), name="count")
    start_worker(app)
    result = count.apply_async(("x",), stream=True)
    reader = result.stream(timeout=30)
    seen = [next(reader) for _ in range(7)]
    cursor = reader.cursor
    reader.close()  # the connection drops
    resumed = list(app.stream(cursor, timeout=30))
    assert seen + resumed == [f"x-{i}" for i in range(30)]


def test_an_error_in_the_middle_arrives_after_the_chunks_already_made(app, start_worker):
    broken = app.task(_counting(10, fail_at=4), name="broken")
    start_worker(app)
    result = broken.apply_async(("e",), stream=True)
    received = []
    reader = result.stream(timeout=30)
    with pytest.raises(ConnectionError, match="model went away after 4 chunks"):
        received.extend(reader)
    assert received == ["e-0", "e-1", "e-2", "e-3"]
    with pytest.raises(ConnectionError):
        result.get(timeout=30)
    with pytest.raises(ConnectionError):  # the local iterator of the Runnable API too
        list(broken.stream("e"))


def test_message_chunks_keep_their_type_and_add_up(app, start_worker):
    model = GenericFakeChatModel(messages=iter([AIMessage(content="one two three")] * 2))
    chat = app.task(model, name="chat")
    start_worker(app)
    chunks = list(chat.stream("hi"))
    assert all(type(chunk) is AIMessageChunk for chunk in chunks)
    assert len(chunks) > 1
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    assert total.content == "one two three"


async def test_async_iteration_of_a_handle(app, start_worker):
    count = app.task(_counting(12), name="count")
    start_worker(app)
    result = count.apply_async(("a",), stream=True)
    assert [chunk async for chunk in result.astream(timeout=30)] == [f"a-{i}" for i in range(12)]
    replayed = [chunk async for chunk in app.astream(result.cursor, timeout=30)]
    assert replayed == [f"a-{i}" for i in range(12)]


async def test_a_replay_cancelled_while_it_waits_stops_at_once(app, start_worker):
    release = threading.Event()

    def gated(inputs: Iterator[str]) -> Iterator[str]:
        next(iter(inputs))
        release.wait(30)
        yield "late"

    task = app.task(RunnableGenerator(gated), name="gated")
    start_worker(app)
    result = task.apply_async(("x",), stream=True)
    replay = app.astream(result.cursor)
    began = time.monotonic()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(anext(replay), 1.0)  # cancels the read under way
    assert time.monotonic() - began < 5
    release.set()
    assert [chunk async for chunk in app.astream(result.cursor, timeout=30)] == ["late"]


def test_streaming_a_task_not_sent_as_a_stream_is_a_clear_error(app):
    @app.task
    def plain() -> int:
        return 1

    with pytest.raises(ValueError, match=r"was not sent with stream=True"):
        plain.delay().stream()


def test_a_stream_of_a_task_that_never_runs_ends_with_its_error(settings, start_worker):
    # Refused (unknown task) or revoked (expired) at the worker's door: the caller reads the
    # stream, not the result, so the stream itself must say why nothing comes.
    client = App("client", settings=settings)
    server = App("server", settings=settings)
    server.task(_counting(3), name="known")
    missing = client.task(_counting(3), name="missing")
    known = client.task(_counting(3), name="known")
    start_worker(server)
    try:
        with pytest.raises(UnknownTaskError, match="missing"):
            list(missing.apply_async(("m",), stream=True).stream(timeout=30))
        expired = known.apply_async(("k",), stream=True, countdown=1.5, expires=0.5)
        with pytest.raises(TaskRevokedError, match="expired"):
            list(expired.stream(timeout=30))
        assert list(known.stream("k")) == ["k-0", "k-1", "k-2"]
    finally:
        client.close()
        server.close()


def test_a_stream_whose_worker_dies_is_rerun_and_read_as_one_stream(settings, tmp_path):
    # Given a worker process streaming 30 words slowly
    app = App("caller", settings=settings)
    slow_words = app.task(RunnableGenerator(_runs_elsewhere), name="slow_words")
    first = spawn_worker(settings, "tests.apps.stream_app", "-c", "2", log=tmp_path / "a.log")
    second = None
    try:
        result = slow_words.apply_async((0.1,), stream=True)
        reader = result.stream(timeout=60)
        received = [next(reader) for _ in range(5)]

        # When that worker is killed mid-stream and another one takes over
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        second = spawn_worker(settings, "tests.apps.stream_app", "-c", "2", log=tmp_path / "b.log")
        received += list(reader)

        # Then the caller read exactly one complete stream, in order
        assert received == [word + " " for word in WORDS]
        assert result.get(timeout=60) == "".join(word + " " for word in WORDS)
        # and the stream in Kafka really holds two attempts, so the rule did the work
        attempts = {chunk.attempt for _, chunk in _records(app, result)}
        assert len(attempts) == 2
        # a replay from the start agrees with what the live reader saw
        assert list(app.stream(result.cursor, timeout=30)) == received
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                worker.terminate()
                worker.wait(30)
        app.close()


def _runs_elsewhere(inputs: Iterator[float]) -> Iterator[str]:
    """The client only needs the task's name; the worker process has the real generator."""
    yield from ()


def _records(app: App, result) -> list:
    from kafkatask.streaming import replayed_records

    records = []
    source = replayed_records(app.settings, result.cursor, timeout=2)
    try:
        for offset, chunk in source:
            records.append((offset, chunk))
            if chunk.kind == "end":
                break
    finally:
        source.close()
    return records


def test_concurrent_readers_on_one_live_handle(app, start_worker):
    count = app.task(_counting(40), name="count")
    start_worker(app)
    result = count.apply_async(("p",), stream=True)
    outputs: list[list[str]] = [[], []]
    readers = [
        threading.Thread(target=lambda i=i: outputs[i].extend(result.stream(timeout=30)))
        for i in range(2)
    ]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(60)
    assert outputs[0] == outputs[1] == [f"p-{i}" for i in range(40)]
    wait_for(result.ready, 30, "the final result")


def test_a_reader_that_asks_for_restarts_sees_a_retried_run_start_over(app, start_worker):
    # Given a streaming task whose first run fails after two chunks and is retried at once
    runs: list[int] = []

    def words(count: int):
        runs.append(count)
        for i in range(count):
            if len(runs) == 1 and i == 2:
                raise ConnectionError("the model went away")
            yield f"w{i} "

    retried = app.task(
        name="retried_words",
        autoretry_for=(ConnectionError,),
        max_retries=1,
        default_retry_delay=0,
    )(words)
    start_worker(app)

    # When one reader reports restarts and another reads by the default rule
    result = retried.apply_async((4,), stream=True)
    reported = list(result.stream(timeout=30, report_restarts=True))
    spliced = list(result.stream(timeout=30))

    # Then the first sees the failed run, the restart, then the whole new run
    [restart] = [item for item in reported if isinstance(item, StreamRestart)]
    assert reported == ["w0 ", "w1 ", restart, "w0 ", "w1 ", "w2 ", "w3 "]
    # and the second one stream, the new run continuing where the failed one stopped
    assert spliced == ["w0 ", "w1 ", "w2 ", "w3 "]
    # and a replay with restarts from the start, in another reader, agrees
    assert list(app.stream(result.cursor, timeout=30, report_restarts=True)) == reported
