"""Task events are built as plain maps and sent in batches for speed; they must still be valid
TaskEvents, in order, in records the broker accepts."""

from __future__ import annotations

from kafkatask.protocol import (
    CALLER_HEADER,
    ErrorInfo,
    Header,
    ReplyAddress,
    TaskEvent,
    TaskMessage,
    WorkerInfo,
    decode,
    decode_events,
    header_value,
)
from kafkatask.serialization import codec_named
from kafkatask.worker.events import EventPublisher
from kafkatask.worker.offsets import Receipt


class RecordingOutbox:
    def __init__(self) -> None:
        self.sent: list[tuple[bytes, list]] = []

    def send(self, topic, value, *, key, headers, **_):
        self.sent.append((value, headers))


def test_task_events_validate_as_task_events():
    outbox = RecordingOutbox()
    codec = codec_named("msgpack")
    events = EventPublisher(outbox, codec, "ns.events", "worker-1", enabled=True)  # type: ignore[arg-type]
    message = TaskMessage(
        id="t1",
        task="demo.add",
        queue="high",
        retries=2,
        mode="stream",
        stream_to=ReplyAddress(topic="ns.streams", partition=1),
    )
    receipt = Receipt(("ns.tasks.high", 3), 42, epoch=1)
    events.task("task-received", message, receipt, args="1, 2", stream_to=message.stream_to)
    events.task(
        "task-failed", message, receipt, runtime=0.5, error=ErrorInfo(type="E", message="m")
    )
    assert outbox.sent == []  # gathered until the worker's loop flushes them
    events.flush()
    [(value, headers)] = outbox.sent
    received, failed = decode_events(value, headers)
    assert received.type == "task-received"
    assert received.worker == "worker-1"
    assert (received.task_id, received.task, received.queue) == ("t1", "demo.add", "high")
    assert (received.partition, received.offset, received.retries) == (3, 42, 2)
    assert received.args == "1, 2"
    assert received.stream_to == ReplyAddress(topic="ns.streams", partition=1)
    assert failed.error == ErrorInfo(type="E", message="m")
    assert failed.runtime == 0.5


def test_task_events_name_the_caller_a_task_was_sent_by():
    outbox = RecordingOutbox()
    publisher = _publisher(outbox)
    receipt = Receipt(("ns.tasks.default", 0), 1, 1)
    sent_by = TaskMessage(id="a", task="demo.add", headers={CALLER_HEADER: "billing"})
    anonymous = TaskMessage(id="b", task="demo.add", headers={"tenant": "t1"})
    publisher.task("task-started", sent_by, receipt)
    publisher.task("task-started", anonymous, receipt)
    publisher.flush()
    [(value, headers)] = outbox.sent
    named, unnamed = decode_events(value, headers)
    assert named.caller == "billing"
    assert unnamed.caller is None  # other headers stay out of events


def test_disabled_events_send_nothing():
    outbox = RecordingOutbox()
    events = EventPublisher(outbox, codec_named("json"), "t", "w", enabled=False)  # type: ignore[arg-type]
    events.task("task-started", TaskMessage(id="x", task="t"), Receipt(("t", 0), 0, 1))
    assert outbox.sent == []


def _publisher(outbox: RecordingOutbox) -> EventPublisher:
    return EventPublisher(outbox, codec_named("msgpack"), "ns.events", "w1", enabled=True)  # type: ignore[arg-type]


def _started(publisher: EventPublisher, count: int, *, error: ErrorInfo | None = None) -> None:
    for number in range(count):
        message = TaskMessage(id=f"t{number}", task="demo.add")
        publisher.task(
            "task-started", message, Receipt(("ns.tasks.default", 0), number, 1), error=error
        )


def test_a_single_event_is_a_plain_record_with_its_task_headers():
    outbox = RecordingOutbox()
    publisher = _publisher(outbox)
    _started(publisher, 1)
    publisher.flush()
    publisher.flush()  # nothing more gathered: nothing more sent
    [(value, headers)] = outbox.sent
    event = decode(TaskEvent, value, headers)
    assert (event.type, event.task_id) == ("task-started", "t0")
    assert header_value(headers, Header.ID) == "t0"


def test_worker_events_go_out_after_the_gathered_task_events():
    outbox = RecordingOutbox()
    publisher = _publisher(outbox)
    _started(publisher, 3)
    info = WorkerInfo(
        hostname="h", pid=1, queues=["default"], concurrency=1, started_at=0.0, version="1"
    )
    publisher.raw(TaskEvent(type="worker-offline", worker="w1", info=info))
    kinds = [e.type for value, headers in outbox.sent for e in decode_events(value, headers)]
    assert kinds == ["task-started"] * 3 + ["worker-offline"]


def test_batches_are_split_to_stay_inside_the_record_limit():
    outbox = RecordingOutbox()
    publisher = _publisher(outbox)
    long = ErrorInfo(type="E", message="m", traceback="x" * 20_000)
    _started(publisher, 100, error=long)  # ~2 MB of events
    publisher.flush()
    assert len(outbox.sent) > 2
    assert all(len(value) <= 512 * 1024 for value, _ in outbox.sent)
    ids = [e.task_id for value, headers in outbox.sent for e in decode_events(value, headers)]
    assert ids == [f"t{number}" for number in range(100)]


def test_a_full_gathering_is_sent_without_waiting_for_a_flush():
    outbox = RecordingOutbox()
    publisher = _publisher(outbox)
    _started(publisher, 500)
    [(value, headers)] = outbox.sent
    assert len(decode_events(value, headers)) == 500
