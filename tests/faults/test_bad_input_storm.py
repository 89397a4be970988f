"""Fault 8: bad input of every kind, mixed with good tasks: each gets its clear error."""

from __future__ import annotations

import pytest
from confluent_kafka import Producer

from kafkatask import EncodeError, MessageTooLargeError, UnknownTaskError
from kafkatask.dlq import DeadLetterQueue
from tests.helpers import wait_for


class NoWireForm:
    pass


@pytest.mark.timeout(180)
def test_every_kind_of_bad_input(settings, client, workers, record_figures):
    sleepy = client.task(lambda index, seconds: index, name="faults.sleepy")
    unknown = client.task(lambda: None, name="faults.no_such_task")
    worker = workers.start("worker", "-c", "8")
    producer = Producer({"bootstrap.servers": settings.bootstrap_servers})
    topic = client.topology.names.tasks("default")
    errors: dict[str, str] = {}
    good = []
    for round_ in range(20):
        good += [sleepy.delay(round_ * 10 + i, 0.0) for i in range(10)]
        # wrong argument types: the task's own TypeError comes back, with its traceback
        wrong = sleepy.delay(1, "not a number")
        with pytest.raises(TypeError) as raised:
            wrong.get(timeout=60)
        errors["wrong argument types"] = f"{type(raised.value).__name__}: {raised.value}"
        assert "time.sleep" in (wrong.traceback or "")
        # missing arguments: refused before sending
        with pytest.raises(TypeError, match="missing a required argument: 'seconds'") as raised:
            sleepy.delay(1)
        errors["missing arguments"] = str(raised.value)
        # an unknown task: FAILURE naming the worker's tasks
        with pytest.raises(UnknownTaskError, match=r"registered: .*faults\.process") as raised:
            unknown.delay().get(timeout=60)
        errors["unknown task"] = str(raised.value)[:120]
        # an oversized payload and a value without a wire form: refused before sending
        with pytest.raises(MessageTooLargeError) as raised:
            sleepy.delay("x" * 2_000_000, 0.0)
        errors["oversized payload"] = str(raised.value)[:120]
        with pytest.raises(EncodeError) as raised:
            sleepy.delay(NoWireForm(), 0.0)
        errors["non-serializable value"] = str(raised.value)[:120]
        # corrupt bytes written straight to the task topic
        producer.produce(topic, b"\x00\xffcorrupt" + bytes([round_]))
    assert producer.flush(30) == 0

    assert [r.get(timeout=120) for r in good] == list(range(200))
    dlq = DeadLetterQueue(client)
    wait_for(lambda: len(dlq.entries()) == 40, 60, "40 dead letters")
    reasons = sorted({entry.letter.reason for entry in dlq.entries()})
    assert reasons == ["undecodable", "unknown-task"]
    assert worker.poll() is None
    errors["corrupt bytes"] = "dead-lettered as 'undecodable', offset committed"
    record_figures(
        sent=200 + 20 * 2,
        completed=sum(r.successful() for r in good),
        lost=200 - sum(r.successful() for r in good),
        bad_inputs=20 * 6,
        refused_before_sending=20 * 3,
        dead_lettered=len(dlq.entries()),
        duplicates_suppressed=client.connection.router.duplicates,
        errors=errors,
    )
