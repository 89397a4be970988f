"""A thread-safe producer that never raises BufferError and serves its own delivery reports."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError, Message, Producer

DeliveryCallback = Callable[[KafkaError | None, Message | None], None]

Headers = list[tuple[str, str | bytes | None]]

HURRY_TIMEOUT = 0.001
"""How long a hurry keeps librdkafka flushing: long enough for its sender thread to wake and
send (microseconds), and the least a flush can wait (librdkafka counts in milliseconds).

A flush returns early once every delivery report is served, but when another thread serves
them (the client's serving thread), it returns only at its timeout: so keep it short."""


class MessageProducer:
    """confluent-kafka's Producer, plus a background thread that serves delivery callbacks.

    Delivery callbacks run on that thread when `serve_in_background` is set; otherwise the owner
    calls `poll()` from its own loop (the worker does, so callbacks run on its main thread).
    """

    def __init__(self, config: dict[str, Any], *, serve_in_background: bool) -> None:
        self._producer = Producer(config)
        self._closed = threading.Event()
        self._server: threading.Thread | None = None
        self._hurry_wanted = threading.Event()
        self._hurrier: threading.Thread | None = None
        self._hurrier_lock = threading.Lock()
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

    def hurry(self, timeout: float = HURRY_TIMEOUT) -> None:
        """Send what is queued now, not after `linger.ms`: someone waits for it, and nothing
        else is about to join its batch.

        librdkafka sends at once only while a flush is under way (it ignores `linger.ms` then),
        so this flushes, for at most `timeout` seconds: once librdkafka's sender thread has
        woken up, the records are on their way, delivered or not.
        """
        if len(self._producer):
            self._producer.flush(timeout)

    def hurry_soon(self) -> None:
        """`hurry()` on a thread of the producer's, for a caller that must not block (async
        code waiting for a result); hurries asked for meanwhile are served by one flush."""
        if self._hurrier is None:
            with self._hurrier_lock:
                if self._hurrier is None:
                    self._hurrier = threading.Thread(
                        target=self._serve_hurries, name="kafkatask-hurry", daemon=True
                    )
                    self._hurrier.start()
        self._hurry_wanted.set()

    def close(self, timeout: float = 10.0) -> int:
        remaining = self.flush(timeout)
        self._closed.set()
        self._hurry_wanted.set()
        for thread in (self._server, self._hurrier):
            if thread is not None:
                thread.join(timeout=1.0)
        return remaining

    def _serve_hurries(self) -> None:
        while True:
            self._hurry_wanted.wait()
            if self._closed.is_set():
                return
            self._hurry_wanted.clear()
            self.hurry()

    def _serve(self) -> None:
        while not self._closed.is_set():
            self._producer.poll(0.05)
