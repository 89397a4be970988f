"""Task events are built as plain maps for speed; they must still be valid TaskEvents."""

from __future__ import annotations

from kafkatask.protocol import ErrorInfo, ReplyAddress, TaskEvent, TaskMessage, decode
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
    received, failed = (decode(TaskEvent, value, headers) for value, headers in outbox.sent)
    assert received.type == "task-received"
    assert received.worker == "worker-1"
    assert (received.task_id, received.task, received.queue) == ("t1", "demo.add", "high")
    assert (received.partition, received.offset, received.retries) == (3, 42, 2)
    assert received.args == "1, 2"
    assert received.stream_to == ReplyAddress(topic="ns.streams", partition=1)
    assert failed.error == ErrorInfo(type="E", message="m")
    assert failed.runtime == 0.5


def test_disabled_events_send_nothing():
    outbox = RecordingOutbox()
    events = EventPublisher(outbox, codec_named("json"), "t", "w", enabled=False)  # type: ignore[arg-type]
    events.task("task-started", TaskMessage(id="x", task="t"), Receipt(("t", 0), 0, 1))
    assert outbox.sent == []
