"""Workers publish heartbeats and task state events on the events topic."""

from __future__ import annotations

from confluent_kafka import Consumer

from kafkatask.protocol import TaskEvent, decode_events
from tests.helpers import wait_for


def _read_events(settings, until, timeout: float = 30.0) -> list[TaskEvent]:
    consumer = Consumer(
        {
            "bootstrap.servers": settings.bootstrap_servers,
            "group.id": f"{settings.namespace}.events-reader",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([f"{settings.namespace}.events"])
    events: list[TaskEvent] = []
    try:
        wait_for(lambda: _poll_into(consumer, events) or until(events), timeout, "events")
    finally:
        consumer.close()
    return events


def _poll_into(consumer, events) -> bool:
    record = consumer.poll(0.1)
    if record is not None and record.error() is None:
        events.extend(decode_events(record.value(), record.headers()))
    return False


def test_task_lifecycle_and_heartbeat_events(app, settings, start_worker):
    @app.task
    def add(x: int, y: int) -> int:
        return x + y

    @app.task
    def fail() -> None:
        raise RuntimeError("nope")

    worker = start_worker(app, name="events-worker")
    ok = add.delay(1, 2)
    ok.get(timeout=30)
    bad = fail.delay()
    bad.get(timeout=30, propagate=False)

    def complete(events: list[TaskEvent]) -> bool:
        kinds = {(e.type, e.task_id) for e in events}
        return {
            ("task-received", ok.id),
            ("task-started", ok.id),
            ("task-succeeded", ok.id),
            ("task-failed", bad.id),
        } <= kinds and any(
            e.type == "worker-heartbeat" and e.info is not None and e.info.processed >= 1
            for e in events
        )

    events = _read_events(settings, complete)
    assert all(e.worker == worker.id for e in events)
    online = next(e for e in events if e.type == "worker-online")
    assert online.info is not None
    assert online.info.queues == ["default"]
    assert online.info.concurrency == worker.concurrency
    received = next(e for e in events if e.type == "task-received" and e.task_id == ok.id)
    assert received.task == add.name
    assert received.args == "1, 2"
    succeeded = next(e for e in events if e.type == "task-succeeded" and e.task_id == ok.id)
    assert succeeded.result == "3"
    assert succeeded.runtime is not None
    failed = next(e for e in events if e.type == "task-failed")
    assert failed.error is not None
    assert failed.error.type == "RuntimeError"
    beats = [e for e in events if e.type == "worker-heartbeat"]
    assert beats[-1].info is not None
    assert beats[-1].info.processed >= 1
