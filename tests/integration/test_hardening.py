"""Edge cases found by reviewing the protocol against the code; each once lost or stuck work."""

from __future__ import annotations

import sys
import threading
import time

import pytest
from confluent_kafka import Consumer, Producer

from kafkatask import App, EncodeError, TaskRevokedError
from kafkatask.dlq import DeadLetterQueue
from kafkatask.protocol import MessageKind, TaskMessage, encode, headers_for
from kafkatask.serialization import codec_named
from tests.helpers import wait_for


def _produce(settings, topic: str, value: bytes, headers, key: bytes | None = None) -> None:
    producer = Producer({"bootstrap.servers": settings.bootstrap_servers})
    producer.produce(topic, value, key=key, headers=headers)
    assert producer.flush(30) == 0


def test_jobs_given_back_in_a_rebalance_run_when_the_partition_returns(settings, start_worker):
    # Given a worker busy with one task and holding three more of the same partition in memory
    app = App("hardening", settings=settings, prefetch=5)
    release = threading.Event()
    ran: list[str] = []

    @app.task
    def blocker() -> None:
        release.wait(30)

    @app.task
    def queued(label: str) -> str:
        ran.append(label)
        return label

    worker = start_worker(app, concurrency=1)
    first = blocker.apply_async(key="same")
    waiting = [queued.apply_async((f"q{i}",), key="same") for i in range(3)]
    wait_for(lambda: worker.stats.active == 1, 30, "the blocker to run")
    time.sleep(0.5)  # the three are now held by the worker (prefetch), not yet started

    # When another group member takes the partitions for a moment and leaves without working
    intruder = Consumer(
        {
            "bootstrap.servers": settings.bootstrap_servers,
            "group.id": worker.group_id,
            "partition.assignment.strategy": "cooperative-sticky",
            "enable.auto.commit": False,
        }
    )
    intruder.subscribe([app.topology.names.tasks("default")])
    deadline = time.monotonic() + 30
    while not intruder.assignment() and time.monotonic() < deadline:
        intruder.poll(0.1)
    intruder.close()
    release.set()

    # Then every task still runs once the partitions are back
    first.get(timeout=60)
    assert sorted(r.get(timeout=60) for r in waiting) == ["q0", "q1", "q2"]
    assert sorted(ran) == ["q0", "q1", "q2"]
    app.close()


def test_malformed_fields_are_answered_not_stuck(app, settings, start_worker):
    @app.task(name="hard.echo")
    def echo(value: str) -> str:
        return value

    start_worker(app)
    # handles first: a client only routes results it is waiting for
    bad_run_id_result = app.AsyncResult("bad-run-id")
    huge_expiry_result = app.AsyncResult("huge-expiry")
    codec = codec_named("json")
    reply_to = app.reply_to()
    topic = app.topology.names.tasks("default")
    # a config run_id that is not a string, and an expiry the clock cannot represent
    bad_run_id = TaskMessage(id="bad-run-id", task="hard.echo", args=["x"], reply_to=reply_to)
    tree = bad_run_id.model_dump(mode="json") | {"config": {"run_id": 12}}
    value = codec.dumps(tree)
    _produce(
        settings, topic, value, headers_for(MessageKind.TASK, codec, "hard.echo", "bad-run-id")
    )
    huge_expiry = tree | {"id": "huge-expiry", "config": None, "expires_at": -1e300}
    _produce(settings, topic, codec.dumps(huge_expiry), headers_for(MessageKind.TASK, codec))
    long_id = {"id": "x" * 300, "task": "hard.echo", "reply_to": reply_to.model_dump()}
    _produce(settings, topic, codec.dumps(long_id), headers_for(MessageKind.TASK, codec))

    with pytest.raises(Exception, match="malformed request"):
        bad_run_id_result.get(timeout=30)
    with pytest.raises(Exception, match="expires_at"):
        huge_expiry_result.get(timeout=30)
    dlq = DeadLetterQueue(app)
    wait_for(lambda: len(dlq.entries()) == 3, 30, "three dead letters")
    # nothing is stuck behind them
    assert echo.delay("after").get(timeout=30) == "after"


def test_a_task_due_later_sent_straight_to_its_queue_waits_in_kafka(app, settings, start_worker):
    started: list[float] = []

    @app.task(name="hard.when")
    def when() -> None:
        started.append(time.time())

    start_worker(app)
    handle = app.AsyncResult("later")
    codec = codec_named("msgpack")
    due = time.time() + 3
    message = TaskMessage(id="later", task="hard.when", eta=due, reply_to=app.reply_to())
    _produce(
        settings,
        app.topology.names.tasks("default"),
        encode(message, codec),
        headers_for(MessageKind.TASK, codec, "hard.when", "later"),
    )
    handle.get(timeout=60)
    assert started[0] >= due - 0.1
    # it waited in a delay topic, forwarded there unchanged by the worker that first got it
    delayed = Consumer(
        {
            "bootstrap.servers": settings.bootstrap_servers,
            "group.id": f"{settings.namespace}.inspect",
            "auto.offset.reset": "earliest",
        }
    )
    delayed.subscribe([app.topology.names.retry("1s")])
    try:
        deadline = time.monotonic() + 60
        record = None
        while record is None and time.monotonic() < deadline:
            record = delayed.poll(1)
        assert record is not None
        assert record.value() == encode(message, codec)
    finally:
        delayed.close()


def test_a_result_too_big_for_any_wire_form_is_a_failure(app, start_worker):
    @app.task
    def enormous() -> int:
        return 10**5000  # more digits than Python will turn into text by default

    @app.task
    def small() -> int:
        return 1

    start_worker(app, concurrency=1)
    if sys.get_int_max_str_digits() == 0:
        pytest.skip("this interpreter has no integer digit limit")
    with pytest.raises(EncodeError, match="the result of task"):
        enormous.delay().get(timeout=30)
    assert small.delay().get(timeout=30) == 1


def test_a_task_that_expires_while_it_waits_in_the_worker_is_revoked(app, start_worker):
    ran = []

    @app.task
    def late() -> None:
        ran.append(1)

    start_worker(app)
    result = late.apply_async(countdown=0.9, expires=0.3)
    with pytest.raises(TaskRevokedError, match="expired"):
        result.get(timeout=30)
    assert ran == []


def test_stream_replays_skip_records_that_do_not_verify(settings, start_worker):
    from langchain_core.runnables import RunnableGenerator

    app = App("signed-streams", settings=settings, signing_secret="k")

    def words(inputs):
        next(iter(inputs))
        yield from ("a", "b", "c")

    task = app.task(RunnableGenerator(words), name="hard.words")
    start_worker(app)
    try:
        result = task.apply_async(("go",), stream=True)
        assert list(result.stream(timeout=30)) == ["a", "b", "c"]
        # someone writes a forged "new attempt" into the stream, unsigned
        codec = codec_named("msgpack")
        forged = {
            "v": 1,
            "id": result.id,
            "task": "hard.words",
            "attempt": "forged",
            "seq": 0,
            "kind": "start",
            "data": None,
            "error": None,
        }
        cursor = result.cursor
        _produce(
            settings,
            cursor.topic,
            codec.dumps(forged),
            headers_for(MessageKind.CHUNK, codec, "hard.words", result.id),
            key=result.id.encode(),
        )
        assert list(app.stream(cursor, timeout=5)) == ["a", "b", "c"]
    finally:
        app.close()
