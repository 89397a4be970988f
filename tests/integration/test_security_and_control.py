"""Revocation, signing, pickle opt-in, idempotent submissions, librdkafka pass-through."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from confluent_kafka import Producer

from kafkatask import App, ConfigurationError, KafkaTaskError, TaskRevokedError, TaskState
from kafkatask.dlq import DeadLetterQueue
from kafkatask.kafka.config import consumer_config, producer_config
from kafkatask.protocol import MessageKind, ResultMessage, encode, headers_for
from kafkatask.serialization import codec_named
from tests.helpers import wait_for


def test_revoke_a_task_waiting_in_a_delay_topic(app, start_worker):
    ran = []

    @app.task
    def later() -> None:
        ran.append(1)

    start_worker(app)
    result = later.apply_async(countdown=2)
    result.revoke()
    with pytest.raises(TaskRevokedError, match="was revoked"):
        result.get(timeout=30)
    assert result.state == TaskState.REVOKED
    assert ran == []


def test_revoke_a_task_queued_behind_a_busy_worker(app, start_worker):
    release = threading.Event()
    ran = []

    @app.task
    def blocker() -> None:
        release.wait(30)

    @app.task
    def queued(label: str) -> None:
        ran.append(label)

    start_worker(app, concurrency=1)
    blocking = blocker.apply_async(key="k")
    waiting = queued.apply_async(("revoked",), key="k")
    behind = queued.apply_async(("kept",), key="k")
    time.sleep(0.5)  # both are in the worker's memory, behind the blocker
    app.control.revoke(waiting.id)
    wait_for(waiting.ready, 30, "the revoke to be answered")
    release.set()
    blocking.get(timeout=30)
    behind.get(timeout=30)
    assert waiting.state == TaskState.REVOKED
    assert ran == ["kept"]


def test_revoking_an_ordered_task_waiting_for_a_slot_frees_its_key(app, start_worker):
    started, release = threading.Event(), threading.Event()
    ran = []

    @app.task(ordered=True)
    def turn(label: str) -> None:
        if label == "blocker":
            started.set()
            release.wait(30)
        ran.append(label)

    start_worker(app, concurrency=1)
    blocking = turn.apply_async(("blocker",), key="a")
    assert started.wait(30)
    waiting = turn.apply_async(("revoked",), key="b")  # ready, holding key b, no free slot
    behind = turn.apply_async(("kept",), key="b")  # waits behind it for key b
    time.sleep(0.5)
    app.control.revoke(waiting.id)
    wait_for(waiting.ready, 30, "the revoke to be answered")
    release.set()
    blocking.get(timeout=30)
    behind.get(timeout=30)
    assert ran == ["blocker", "kept"]


async def test_revoke_with_terminate_cancels_a_running_async_task(app, start_worker):
    @app.task(track_started=True)
    async def forever() -> None:
        await asyncio.sleep(60)

    start_worker(app)
    result = forever.delay()
    while result.state != TaskState.STARTED:
        await asyncio.sleep(0.02)
    result.revoke(terminate=True)
    with pytest.raises(TaskRevokedError):
        await result.aget(timeout=30)


def test_a_worker_started_after_the_revoke_still_honours_it(app, start_worker):
    ran = []

    @app.task
    def once() -> None:
        ran.append(1)

    result = once.delay()  # no worker yet: it waits in its queue
    result.revoke()
    start_worker(app)
    with pytest.raises(TaskRevokedError):
        result.get(timeout=30)
    assert ran == []


def test_signed_messages_round_trip_and_unsigned_ones_are_refused(settings, start_worker):
    signed = App("signed", settings=settings, signing_secret="s3cret")
    ran = []

    @signed.task(name="sec.add")
    def add(x: int, y: int) -> int:
        ran.append((x, y))
        return x + y

    start_worker(signed)
    try:
        assert add.delay(2, 3).get(timeout=30) == 5
        # a client without the secret: its task is dead-lettered, never run, and not answered
        # (a forger would choose where an answer goes)
        unsigned = App("unsigned", settings=settings)
        forged = unsigned.task(lambda x, y: 0, name="sec.add")
        result = forged.delay(40, 2)
        # a tampered record: a signed value with one byte changed
        _send_tampered(signed, settings)
        dlq = DeadLetterQueue(signed)
        wait_for(lambda: len(dlq.entries()) == 2, 30, "two dead letters")
        assert {e.letter.reason for e in dlq.entries()} == {"unverified"}
        assert sorted(e.letter.error.message[:30] for e in dlq.entries()) == [
            "the record is not signed (no k",
            "the record's signature does no",
        ]
        assert not result.ready()
        assert ran == [(2, 3)]
        # and a forged letter is never replayed (replaying would sign it)
        with pytest.raises(KafkaTaskError, match="cannot be replayed: it was not signed"):
            dlq.replay(dlq.entries())
        unsigned.close()
    finally:
        signed.close()


def _send_tampered(app: App, settings) -> None:
    from kafkatask.protocol import TaskMessage
    from kafkatask.serialization.signing import Signer

    codec = codec_named("msgpack")
    message = TaskMessage(id="tampered", task="sec.add", args=[1, 1])
    value = encode(message, codec)
    headers = Signer("s3cret").sign(
        headers_for(MessageKind.TASK, codec, "sec.add", "tampered"), value
    )
    tampered = value.replace(b"\x01\x01", b"\x01\x09")
    assert tampered != value
    producer = Producer({"bootstrap.servers": settings.bootstrap_servers})
    producer.produce(app.topology.names.tasks("default"), tampered, headers=headers)
    assert producer.flush(30) == 0


def test_a_client_refuses_a_forged_result(settings, start_worker):
    app = App("signed", settings=settings, signing_secret="s3cret")
    release = threading.Event()

    @app.task
    def slow() -> str:
        release.wait(30)
        return "genuine"

    start_worker(app)
    try:
        result = slow.delay()
        # someone without the secret writes a result for it to the client's reply partition
        codec = codec_named("msgpack")
        fake = ResultMessage(id=result.id, task=slow.name, state="SUCCESS", result="forged")
        producer = Producer({"bootstrap.servers": settings.bootstrap_servers})
        reply_to = app.reply_to()
        headers = headers_for(MessageKind.RESULT, codec, slow.name, result.id)
        # unsigned, and with a signature that is not even text
        for forged_headers in (headers, [*headers, ("kt-signature", b"\xff\xfe")]):
            producer.produce(
                reply_to.topic,
                encode(fake, codec),
                partition=reply_to.partition,
                headers=forged_headers,
            )
        assert producer.flush(30) == 0
        time.sleep(0.5)
        assert not result.ready()
        release.set()
        assert result.get(timeout=30) == "genuine"
    finally:
        app.close()


def test_pickle_is_refused_unless_enabled_with_signing(settings, start_worker):
    with pytest.raises(ConfigurationError, match="needs message signing"):
        App("unsafe", settings=settings, accept_pickle=True)

    class Point:
        def __init__(self, x: int) -> None:
            self.x = x

    app = App("pickled", settings=settings, accept_pickle=True, signing_secret="k")

    @app.task(name="pickled.x")
    def get_x(point: Point) -> int:
        return point.x

    start_worker(app)
    try:
        assert get_x.delay(Point(7)).get(timeout=30) == 7
    finally:
        app.close()


def test_a_worker_without_pickle_refuses_a_pickled_argument(settings, start_worker):
    server = App("server", settings=settings, signing_secret="k")
    sender = App("sender", settings=settings, accept_pickle=True, signing_secret="k")
    server.task(lambda point: 0, name="pickled.x")
    send = sender.task(lambda point: 0, name="pickled.x")
    start_worker(server)
    try:
        with pytest.raises(Exception, match="does not accept pickle"):
            send.delay(object()).get(timeout=30)
    finally:
        server.close()
        sender.close()


def test_the_same_task_id_sent_twice_runs_once_and_both_handles_get_the_result(
    settings, start_worker
):
    app = App("idempotent", settings=settings)
    other_client = App("other", settings=settings)
    runs = []

    @app.task(name="idem.charge")
    def charge(amount: int) -> str:
        runs.append(amount)
        time.sleep(0.3)
        return f"charged {amount}"

    retrying = other_client.task(lambda amount: "", name="idem.charge")
    start_worker(app)
    try:
        first = charge.apply_async((10,), task_id="payment-1")
        again = charge.apply_async((10,), task_id="payment-1")  # the same client retrying
        elsewhere = retrying.apply_async((10,), task_id="payment-1")  # another client
        assert first.get(timeout=30) == "charged 10"
        assert again.get(timeout=30) == "charged 10"
        assert elsewhere.get(timeout=30) == "charged 10"
        time.sleep(0.5)
        assert runs == [10]
    finally:
        app.close()
        other_client.close()


def test_sasl_and_tls_settings_reach_librdkafka_unchanged(monkeypatch):
    monkeypatch.setenv(
        "KAFKATASK_KAFKA",
        '{"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512", '
        '"sasl.username": "svc", "sasl.password": "pw", "ssl.ca.location": "/etc/ssl/ca.pem"}',
    )
    monkeypatch.setenv("KAFKATASK_PRODUCER", '{"linger.ms": 7}')
    app = App("secure")
    produced = producer_config(app.settings, "c")
    consumed = consumer_config(app.settings, "c", "g")
    for config in (produced, consumed):
        assert config["security.protocol"] == "SASL_SSL"
        assert config["sasl.mechanism"] == "SCRAM-SHA-512"
        assert config["sasl.username"] == "svc"
        assert config["ssl.ca.location"] == "/etc/ssl/ca.pem"
    assert produced["linger.ms"] == 7
    # librdkafka itself accepts them (a misspelt option would raise here)
    client = Producer(
        {**produced, "ssl.ca.location": "probe", "security.protocol": "SASL_PLAINTEXT"}
    )
    client.flush(0)
