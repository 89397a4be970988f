"""Revocations: the task ids `app.control.revoke()` cancelled, read from `<ns>.control`.

Every worker reads the whole control topic (no consumer group; commands are rare and the topic
keeps a day) and honours the revokes of the last `revoke_window` seconds, so a worker that starts
after a revoke still honours it; the list is loaded before the worker takes its first task.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable

from confluent_kafka import OFFSET_BEGINNING, Consumer, Message, TopicPartition

from kafkatask.control import ControlMessage
from kafkatask.exceptions import DecodeError
from kafkatask.kafka.config import consumer_config
from kafkatask.kafka.consuming import take
from kafkatask.kafka.retrying import patiently
from kafkatask.protocol import decode
from kafkatask.serialization.signing import Signer
from kafkatask.settings import Settings

_log = logging.getLogger("kafkatask.worker")


class Revocations:
    def __init__(
        self,
        settings: Settings,
        topic: str,
        worker_id: str,
        signer: Signer | None,
        on_revoke: Callable[[set[str], bool], None],
    ) -> None:
        self._window = settings.revoke_window
        self._signer = signer
        self._on_revoke = on_revoke
        self._revoked: dict[str, float] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()
        group = f"{settings.namespace}.control-reader.{uuid.uuid4().hex}"
        self._consumer = Consumer(consumer_config(settings, worker_id, group))
        timeout = settings.connect_timeout
        self._consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        _, end = patiently(
            lambda: self._consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout),
            timeout,
        )
        self._load_until(end, settings.connect_timeout)
        self._thread = threading.Thread(target=self._run, name="kafkatask-control", daemon=True)
        self._thread.start()

    def __contains__(self, task_id: object) -> bool:
        with self._lock:
            when = self._revoked.get(task_id) if isinstance(task_id, str) else None
        return when is not None and time.time() - when < self._window

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=5.0)
        self._consumer.close()

    def _load_until(self, end: int, timeout: float) -> None:
        """Read what the topic holds now, before the worker takes any task."""
        deadline = time.monotonic() + timeout
        while end > 0 and time.monotonic() < deadline:
            for record in take(self._consumer, 500, timeout=0.2):
                self._apply(record, notify=False)
            [position] = self._consumer.position(self._consumer.assignment())
            if position.offset >= end:
                return
        if end == 0:
            return
        _log.warning("the control topic did not load within %.0fs; revokes may be missed", timeout)

    def _run(self) -> None:
        while not self._closed.is_set():
            for record in take(self._consumer, 500, timeout=0.2):
                try:
                    self._apply(record, notify=True)
                except Exception:  # one bad command must not end the control reader
                    _log.exception("could not apply a control command")

    def _apply(self, record: Message, notify: bool) -> None:
        if record.error() is not None:
            return
        if self._signer is not None:
            problem = self._signer.verify(record.headers(), record.value())
            if problem is not None:
                _log.warning("ignoring a control command: %s", problem)
                return
        try:
            command = decode(ControlMessage, record.value(), record.headers())
        except DecodeError as error:
            _log.warning("ignoring a malformed control command: %s", error)
            return
        when = min(command.ts, time.time())  # a sender's clock in the future extends nothing
        with self._lock:
            for task_id in command.task_ids:
                self._revoked[task_id] = when
        if notify:
            _log.info(
                "revoked %s%s",
                ", ".join(command.task_ids),
                " (terminate)" if command.terminate else "",
            )
            self._on_revoke(set(command.task_ids), command.terminate)
