"""EventPublisher: task state events and worker heartbeats on the events topic."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from kafkatask._version import __version__
from kafkatask.protocol import (
    CALLER_HEADER,
    EVENT_BATCH,
    PROTOCOL_VERSION,
    MessageKind,
    TaskEvent,
    TaskMessage,
    WorkerInfo,
    headers_for,
)
from kafkatask.serialization import Codec
from kafkatask.worker.offsets import Receipt
from kafkatask.worker.outbox import Outbox

_log = logging.getLogger("kafkatask.worker")
_PREVIEW = 200
_BATCH_LIMIT = 500
"""Task events gathered before they are sent without waiting for the worker's next step."""
_BATCH_BYTES = 512 * 1024
"""The most an EventBatch record may take, well inside the broker's 1 MB record limit."""


class EventPublisher:
    """Fire-and-forget events, keyed by worker id; losing one never affects a task.

    Task events are gathered and sent together when the worker's loop calls `flush()` (each
    of its steps, at most ~50 ms apart): a busy worker then writes one `EventBatch` record for
    many events instead of three records per task, which had cost it a third of its
    throughput. Worker events (heartbeats) go out at once, after whatever is gathered.
    """

    def __init__(
        self,
        outbox: Outbox,
        codec: Codec,
        topic: str,
        worker_id: str,
        enabled: bool,
    ) -> None:
        self._outbox = outbox
        self._codec = codec
        self._topic = topic
        self._worker_id = worker_id
        self._key = worker_id.encode()
        self.enabled = enabled
        self._lock = threading.Lock()
        self._gathered: list[dict[str, Any]] = []

    def task(self, kind: str, message: TaskMessage, receipt: Receipt, **fields: Any) -> None:
        """Gather a task event, in TaskEvent's wire form.

        Built as a plain map rather than through the pydantic model: model validation and
        dumping were a third of a worker's Python time. tests/unit/test_events.py checks that
        the map validates as a TaskEvent.
        """
        if not self.enabled:
            return
        tree: dict[str, Any] = {
            "v": PROTOCOL_VERSION,
            "type": kind,
            "worker": self._worker_id,
            "ts": time.time(),
            "task_id": message.id,
            "task": message.task,
            "queue": message.queue,
            "partition": receipt.tp[1],
            "offset": receipt.offset,
            "retries": message.retries,
        }
        caller = message.headers.get(CALLER_HEADER)
        if caller is not None:
            tree["caller"] = caller
        for name, value in fields.items():
            if value is not None:
                tree[name] = (
                    value.model_dump(mode="json") if isinstance(value, BaseModel) else value
                )
        self._gather(tree)

    def raw(self, event: TaskEvent) -> None:
        """Send an event at once (after the gathered ones, so their order holds)."""
        if self.enabled:
            self.flush()
            self._send(event.model_dump(mode="json"), event.task, event.task_id)

    def flush(self) -> None:
        """Send the gathered task events: one plain record for one, EventBatches for more."""
        with self._lock:
            gathered, self._gathered = self._gathered, []
        if gathered:
            self._send_gathered(gathered)

    def _send_gathered(self, events: list[dict[str, Any]]) -> None:
        if len(events) == 1:
            self._send(events[0], events[0]["task"], events[0]["task_id"])
            return
        batch = {"v": PROTOCOL_VERSION, "type": EVENT_BATCH, "worker": self._worker_id}
        value = self._codec.dumps({**batch, "events": events})
        if len(value) > _BATCH_BYTES:  # long tracebacks: halve until each half fits
            half = len(events) // 2
            self._send_gathered(events[:half])
            self._send_gathered(events[half:])
            return
        headers = headers_for(MessageKind.EVENT, self._codec, None, None)
        self._outbox.send(self._topic, value, key=self._key, headers=headers)

    def _gather(self, tree: dict[str, Any]) -> None:
        with self._lock:
            self._gathered.append(tree)
            full = len(self._gathered) >= _BATCH_LIMIT
        if full:
            self.flush()

    def _send(self, tree: dict[str, Any], task: str | None, task_id: str | None) -> None:
        headers = headers_for(MessageKind.EVENT, self._codec, task, task_id)
        self._outbox.send(self._topic, self._codec.dumps(tree), key=self._key, headers=headers)


def preview(value: Any) -> str:
    """A short, safe repr for display (a failing __repr__ must not fail the task)."""
    try:
        text = repr(value)
    except Exception as error:  # a user's __repr__ can raise anything
        text = f"<unrepresentable {type(value).__name__}: {error}>"
    return truncate(text)


def truncate(text: str) -> str:
    return text if len(text) <= _PREVIEW else text[: _PREVIEW - 1] + "…"


class Heartbeat:
    """A daemon thread that publishes `worker-heartbeat` every `interval` seconds."""

    def __init__(
        self,
        events: EventPublisher,
        worker_id: str,
        interval: float,
        describe: Callable[[], WorkerInfo],
    ) -> None:
        self._events = events
        self._worker_id = worker_id
        self._interval = interval
        self._describe = describe
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kafkatask-heartbeat", daemon=True)

    def start(self) -> None:
        self.beat("worker-online")
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=self._interval + 1)
        self.beat("worker-offline")

    def beat(self, kind: str = "worker-heartbeat") -> None:
        try:
            info = self._describe()
            self._events.raw(TaskEvent(type=kind, worker=self._worker_id, info=info))
        except Exception:  # a heartbeat must never take the worker down
            _log.exception("could not publish a %s event", kind)

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            self.beat()


def host_info() -> dict[str, Any]:
    return {
        "hostname": socket.gethostname(),
        "pid": os.getpid(),
        "version": __version__,
        "started_at": time.time(),
    }
