"""ReplyRouter: one background consumer per client process that resolves every waiting handle.

The client reads only its own reply partition of the results topic, from the end offset it saw
when it started, so it never scans other clients' results. Records for ids it is not waiting for
(another client sharing the partition, or a result that already arrived) are skipped by their
`kt-id` header, without decoding the value.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import OrderedDict
from typing import Any

from confluent_kafka import Consumer, Message, TopicPartition

from kafkatask.client.slot import ResultSlot
from kafkatask.exceptions import DecodeError
from kafkatask.kafka.consuming import take
from kafkatask.protocol import Header, ResultMessage, decode, header_value

_log = logging.getLogger("kafkatask.client")


class ReplyRouter:
    def __init__(
        self,
        config: dict[str, Any],
        *,
        topic: str,
        partitions: int,
        partition: int | None,
        cache_size: int,
        timeout: float,
    ) -> None:
        self.topic = topic
        self.partition = random.randrange(partitions) if partition is None else partition
        if self.partition >= partitions:
            raise ValueError(
                f"reply_partition {self.partition} does not exist: {topic} has {partitions}"
            )
        self._consumer = Consumer(config)
        self._pending: dict[str, ResultSlot] = {}
        self._finished: OrderedDict[str, ResultSlot] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self.duplicates = 0
        # Start from the end as it is now, resolved before the first request goes out: a reply
        # produced between "subscribe" and "first fetch" must not be skipped.
        tp = TopicPartition(topic, self.partition)
        _, end = self._consumer.get_watermark_offsets(tp, timeout=timeout)
        self._consumer.assign([TopicPartition(topic, self.partition, end)])
        self._thread = threading.Thread(target=self._run, name="kafkatask-replies", daemon=True)
        self._thread.start()

    def slot(self, task_id: str, task: str | None = None) -> ResultSlot:
        """The slot for `task_id`, created (as PENDING) when this client has none yet."""
        with self._lock:
            slot = self._pending.get(task_id) or self._finished.get(task_id)
            if slot is None:
                slot = self._pending[task_id] = ResultSlot(task_id, task)
            return slot

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
                if record.error() is not None:
                    _log.warning("reading replies from %s: %s", self.topic, record.error())
                    continue
                self._dispatch(record)

    def _dispatch(self, record: Message) -> None:
        headers = record.headers()
        task_id = header_value(headers, Header.ID)
        with self._lock:
            slot = self._pending.get(task_id) if task_id else None
            if slot is None and task_id in self._finished:
                self.duplicates += 1
                return
        if slot is None:
            return
        try:
            message = decode(ResultMessage, record.value(), headers)
        except DecodeError as error:
            _log.warning("dropping a malformed reply for task %s: %s", task_id, error)
            return
        if slot.update(message) and message.state.ready:
            self.retire(slot)

    def retire(self, slot: ResultSlot) -> None:
        """Move a finished slot from the pending table to the bounded cache of finished ones."""
        with self._lock:
            self._pending.pop(slot.id, None)
            if self._cache_size:
                self._finished[slot.id] = slot
                while len(self._finished) > self._cache_size:
                    self._finished.popitem(last=False)
