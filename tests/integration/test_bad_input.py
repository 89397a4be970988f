"""Bad input gets a clear error, and nothing is lost: the worker keeps going."""

from __future__ import annotations

import socket
import time

import pytest
from confluent_kafka import Consumer, Producer

from kafkatask import (
    App,
    BrokerUnavailableError,
    DecodeError,
    EncodeError,
    MessageTooLargeError,
    UnknownTaskError,
)
from kafkatask.protocol import DeadLetter, decode
from tests.helpers import wait_for


def _dead_letters(settings, count: int, timeout: float = 30.0) -> list[DeadLetter]:
    consumer = Consumer(
        {
            "bootstrap.servers": settings.bootstrap_servers,
            "group.id": f"{settings.namespace}.dlq-reader",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([f"{settings.namespace}.dlq"])
    letters = []
    try:
        while len(letters) < count:
            record = consumer.poll(timeout)
            assert record is not None, f"expected {count} dead letters, got {len(letters)}"
            if record.error() is None:
                letters.append(decode(DeadLetter, record.value(), record.headers()))
    finally:
        consumer.close()
    return letters


class Opaque:
    pass


def test_unencodable_argument_raises_at_delay_naming_argument_and_type(app):
    @app.task
    def store(name: str, payload: object) -> None:
        return None

    with pytest.raises(EncodeError, match=r"argument 'payload' \(position 1\) of task .*store"):
        store.delay("x", Opaque())
    with pytest.raises(EncodeError, match=r"tests\.integration\.test_bad_input\.Opaque"):
        store.delay("x", payload={"nested": [Opaque()]})
    with pytest.raises(EncodeError, match=r"argument 'payload' of task .*\['nested'\]\[0\]"):
        store.delay("x", payload={"nested": [Opaque()]})


def test_wrong_arguments_raise_type_error_before_sending(app):
    @app.task
    def add(x: int, y: int) -> int:
        return x + y

    with pytest.raises(TypeError, match=r"task .*add: missing a required argument: 'y'"):
        add.delay(1)
    with pytest.raises(TypeError, match="unexpected keyword argument 'z'"):
        add.delay(1, 2, z=3)


def test_message_too_large_raises_at_delay_with_size_and_limit(settings):
    app = App("big", settings=settings, max_message_bytes=10_000)

    @app.task
    def upload(data: str) -> int:
        return len(data)

    try:
        with pytest.raises(MessageTooLargeError, match=r"encodes to 20,\d{3} bytes.*10,000"):
            upload.delay("x" * 20_000)
    finally:
        app.close()


def test_unknown_task_fails_the_caller_with_registered_names(settings, start_worker):
    client = App("client", settings=settings)
    server = App("server", settings=settings)

    @server.task(name="known.one")
    def known() -> str:
        return "ok"

    @client.task(name="missing.task")
    def missing() -> str:
        return "never runs"

    @client.task(name="known.one")
    def known_by_the_client() -> str:
        return "not run here"

    start_worker(server)
    try:
        with pytest.raises(UnknownTaskError, match=r"missing\.task.*registered: known\.one"):
            missing.delay().get(timeout=30)
        # the worker keeps going
        assert known_by_the_client.delay().get(timeout=30) == "ok"
        letters = _dead_letters(settings, 1)
        assert letters[0].reason == "unknown-task"
        assert letters[0].task == "missing.task"
    finally:
        client.close()
        server.close()


def test_corrupt_bytes_are_dead_lettered_and_the_worker_keeps_going(app, settings, start_worker):
    @app.task
    def ping() -> str:
        return "pong"

    worker = start_worker(app)
    topic = app.topology.names.tasks("default")
    app.connection.ensure_queue("default")
    producer = Producer({"bootstrap.servers": settings.bootstrap_servers})
    producer.produce(topic, b"\xc1 not msgpack at all")
    producer.produce(topic, b'{"id": 1}', headers=[("content-type", b"application/json")])
    producer.produce(topic, None)
    assert producer.flush(30) == 0

    assert ping.delay().get(timeout=30) == "pong"
    letters = _dead_letters(settings, 3)
    reasons = sorted(letter.error.message.split(":")[0] for letter in letters)
    assert {letter.reason for letter in letters} == {"undecodable"}
    assert reasons == ["not a valid TaskMessage", "not valid msgpack", "the record has no value"]
    assert all(letter.error.type == DecodeError.__name__ for letter in letters)
    assert any(letter.original_value for letter in letters)
    # the offsets of the bad records get committed: nothing is stuck behind them
    wait_for(lambda: worker.stats.processed >= 4, 30, "the worker to process all four records")


def test_broker_unreachable_at_delay_raises_within_the_timeout():
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = App("nowhere", bootstrap_servers=f"127.0.0.1:{port}", connect_timeout=2.0)

    @app.task
    def anything() -> None:
        return None

    began = time.monotonic()
    with pytest.raises(BrokerUnavailableError, match=rf"127.0.0.1:{port} did not answer within 2s"):
        anything.delay()
    assert time.monotonic() - began < 6
