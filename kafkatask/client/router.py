"""ReplyRouter: one background consumer per client process that resolves every waiting handle.

The client reads only its own partitions: one of the results topic (replies) and one of the
streams topic (chunks of the tasks it streams), each from the end offset it saw when it started,
so it never scans other clients' traffic. Records for ids it is not waiting for (another client
sharing the partition, a result that already arrived) are skipped by their `kt-id` header,
without decoding the value.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import OrderedDict
from typing import Any, NamedTuple

from confluent_kafka import Consumer, Message, TopicPartition

from kafkatask.client.slot import ResultSlot
from kafkatask.client.stream_slot import StreamSlot
from kafkatask.exceptions import DecodeError
from kafkatask.kafka.consuming import position, take
from kafkatask.kafka.retrying import patiently
from kafkatask.protocol import (
    Header,
    ReplyAddress,
    ResultMessage,
    StreamChunk,
    decode,
    header_value,
)
from kafkatask.serialization.signing import Signer

_log = logging.getLogger("kafkatask.client")


class ReplyOffsets(NamedTuple):
    """Offsets of a client's reply and stream partitions at or before the first record of any
    task it sends from now on: where a replay of such a task's result or stream can start."""

    results: int
    streams: int


class ReplyRouter:
    def __init__(
        self,
        config: dict[str, Any],
        *,
        results: tuple[str, int],
        streams: tuple[str, int],
        reply_partition: int | None,
        cache_size: int,
        timeout: float,
        wait_expiry: float = 600.0,
        signer: Signer | None = None,
    ) -> None:
        self._signer = signer
        self.results = _pick(results, reply_partition)
        self.streams = _pick(streams, None)
        self._consumer = Consumer(config)
        self._pending: dict[str, ResultSlot] = {}
        self._finished: OrderedDict[str, ResultSlot] = OrderedDict()
        self._streams: dict[str, StreamSlot] = {}
        self._cache_size = cache_size
        self._wait_expiry = wait_expiry
        self._next_sweep = time.monotonic() + _sweep_interval(wait_expiry)
        self.released = 0
        """Slots released because nobody waited for their results (result_wait_expiry)."""
        self._lock = threading.Lock()
        self._slots_changed = threading.Condition()
        self._closed = threading.Event()
        self.duplicates = 0
        # Start from the ends as they are now, resolved before the first request goes out: a
        # reply produced between "subscribe" and "first fetch" must not be skipped.
        starts = [self._end_of(address, timeout) for address in (self.results, self.streams)]
        self._result_floor = starts[0].offset
        self._stream_floor = starts[1].offset
        self._consumer.assign(starts)
        self._thread = threading.Thread(target=self._run, name="kafkatask-replies", daemon=True)
        self._thread.start()

    def _end_of(self, address: ReplyAddress, timeout: float) -> TopicPartition:
        tp = TopicPartition(address.topic, address.partition)
        _, end = patiently(
            lambda: self._consumer.get_watermark_offsets(tp, timeout=timeout), timeout
        )
        return TopicPartition(address.topic, address.partition, end)

    @property
    def offsets(self) -> ReplyOffsets:
        """The next offsets this router will read: nothing sent later can land before them."""
        with self._lock:
            return ReplyOffsets(self._result_floor, self._stream_floor)

    def slot(self, task_id: str, task: str | None = None) -> ResultSlot:
        """The slot for `task_id`, created (as PENDING) when this client has none yet."""
        with self._lock:
            slot = self._pending.get(task_id) or self._finished.get(task_id)
            if slot is None:
                slot = ResultSlot(task_id, task, self._slots_changed, self._result_floor)
                self._pending[task_id] = slot
            return slot

    def pending(self) -> int:
        """Results this client waits for in memory now."""
        with self._lock:
            return len(self._pending)

    def stream_slot(self, task_id: str) -> StreamSlot:
        """A slot for the chunks of `task_id`; register it before the request is sent."""
        with self._lock:
            slot = self._streams.get(task_id)
            if slot is None:
                slot = self._streams[task_id] = StreamSlot(task_id, self._stream_floor)
            return slot

    def forget_stream(self, task_id: str) -> None:
        """Drop the stream slot of a request that could not be sent (unless it is in use)."""
        with self._lock:
            slot = self._streams.get(task_id)
            if slot is not None and not slot.records:
                del self._streams[task_id]

    def has_slot(self, task_id: str) -> bool:
        with self._lock:
            return task_id in self._pending or task_id in self._finished

    def forget(self, slot: ResultSlot) -> None:
        """Drop the slot of a request that was never sent."""
        with self._lock:
            if self._pending.get(slot.id) is slot:
                del self._pending[slot.id]

    def retire(self, slot: ResultSlot) -> None:
        """Move a finished slot from the pending table to the bounded cache of finished ones."""
        with self._lock:
            self._pending.pop(slot.id, None)
            if self._cache_size:
                self._finished[slot.id] = slot
                while len(self._finished) > self._cache_size:
                    self._finished.popitem(last=False)

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=5.0)
        self._consumer.close()

    def _run(self) -> None:
        while not self._closed.is_set():
            try:
                records = take(self._consumer, 500, timeout=0.1)
            except RuntimeError:  # closed underneath us at interpreter exit
                return
            for record in records:
                self._dispatch(record)
            if time.monotonic() >= self._next_sweep:
                self._release_idle_slots()

    def _release_idle_slots(self) -> None:
        """Stop waiting for results nobody waits for (a get that timed out, a handle never
        waited on): a long-lived client (a web server) would otherwise keep every one of them.
        A later `get` on such a handle reads its result back from the reply partition."""
        now = time.monotonic()
        self._next_sweep = now + _sweep_interval(self._wait_expiry)
        with self._lock:
            idle = [s for s in self._pending.values() if s.release_if_idle(now, self._wait_expiry)]
            for slot in idle:
                del self._pending[slot.id]
            self.released += len(idle)
        if idle:
            _log.info(
                "no longer waiting in memory for %d results nobody waited for in %.0fs "
                "(result_wait_expiry); a later get reads them back from Kafka",
                len(idle),
                self._wait_expiry,
            )

    def _dispatch(self, record: Message) -> None:
        if record.error() is not None:
            _log.warning("reading replies: %s", record.error())
            return
        try:
            if record.topic() == self.streams.topic:
                self._dispatch_chunk(record)
            else:
                self._dispatch_result(record)
        except Exception:
            # This thread serves every handle of the process: one bad record must not stop it.
            _log.exception(
                "skipping a reply record for task %s", header_value(record.headers(), Header.ID)
            )

    def _dispatch_result(self, record: Message) -> None:
        _, _, offset = position(record)
        headers = record.headers()
        task_id = header_value(headers, Header.ID)
        with self._lock:
            self._result_floor = offset + 1
            slot = self._pending.get(task_id) if task_id else None
            if slot is None and task_id in self._finished:
                self.duplicates += 1
                return
        if slot is None or not self._verified(record, "result"):
            return
        try:
            message = decode(ResultMessage, record.value(), headers)
        except DecodeError as error:
            _log.warning("dropping a malformed reply for task %s: %s", task_id, error)
            return
        if slot.update(message) and message.state.ready:
            self.retire(slot)

    def _verified(self, record: Message, what: str) -> bool:
        return _verified_by(self._signer, record, what)

    def _dispatch_chunk(self, record: Message) -> None:
        _, _, offset = position(record)
        headers = record.headers()
        task_id = header_value(headers, Header.ID)
        with self._lock:
            self._stream_floor = offset + 1
            slot = self._streams.get(task_id) if task_id else None
        if slot is None or not self._verified(record, "chunk"):
            return
        try:
            chunk = decode(StreamChunk, record.value(), headers)
        except DecodeError as error:
            _log.warning("dropping a malformed chunk of task %s: %s", task_id, error)
            return
        if slot.append(offset, chunk):
            with self._lock:
                self._streams.pop(chunk.id, None)


def _sweep_interval(expiry: float) -> float:
    return min(5.0, expiry / 10)


def _verified_by(signer: Signer | None, record: Message, what: str) -> bool:
    if signer is None:
        return True
    problem = signer.verify(record.headers(), record.value())
    if problem is not None:
        _log.warning(
            "refusing a %s for task %s: %s",
            what,
            header_value(record.headers(), Header.ID),
            problem,
        )
        return False
    return True


def _pick(topic: tuple[str, int], wanted: int | None) -> ReplyAddress:
    name, partitions = topic
    partition = random.randrange(partitions) if wanted is None else wanted
    if partition >= partitions:
        raise ValueError(f"partition {partition} does not exist: {name} has {partitions}")
    return ReplyAddress(topic=name, partition=partition)
