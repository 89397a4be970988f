"""A thread-safe producer that never raises BufferError and serves its own delivery reports."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError, Message, Producer

DeliveryCallback = Callable[[KafkaError | None, Message | None], None]

Headers = list[tuple[str, str | bytes | None]]


class MessageProducer:
    """confluent-kafka's Producer, plus a background thread that serves delivery callbacks.

    Delivery callbacks run on that thread when `serve_in_background` is set; otherwise the owner
    calls `poll()` from its own loop (the worker does, so callbacks run on its main thread).
    """

    def __init__(self, config: dict[str, Any], *, serve_in_background: bool) -> None:
        self._producer = Producer(config)
        self._closed = threading.Event()
        self._server: threading.Thread | None = None
        if serve_in_background:
            self._server = threading.Thread(
                target=self._serve, name="kafkatask-producer", daemon=True
            )
            self._server.start()

    def send(
        self,
        topic: str,
        value: bytes,
        *,
        key: bytes | None = None,
        headers: Headers | None = None,
        partition: int | None = None,
        on_delivery: DeliveryCallback | None = None,
    ) -> None:
        """Queue one record; waits (briefly, serving callbacks) when the local queue is full."""
        kwargs: dict[str, Any] = {"key": key, "headers": headers, "on_delivery": on_delivery}
        if partition is not None:
            kwargs["partition"] = partition
        while True:
            try:
                self._producer.produce(topic, value, **kwargs)
                return
            except BufferError:
                # The local queue is full: the broker is slow or away. Wait for room instead of
                # dropping the record; delivery.timeout bounds how long records can sit there.
                self._producer.poll(0.05)

    def poll(self, timeout: float = 0.0) -> int:
        return int(self._producer.poll(timeout))

    def flush(self, timeout: float) -> int:
        """Wait for queued records; returns how many are still undelivered."""
        return int(self._producer.flush(timeout))

    def close(self, timeout: float = 10.0) -> int:
        remaining = self.flush(timeout)
        self._closed.set()
        if self._server is not None:
            self._server.join(timeout=1.0)
        return remaining

    def _serve(self) -> None:
        while not self._closed.is_set():
            self._producer.poll(0.05)
