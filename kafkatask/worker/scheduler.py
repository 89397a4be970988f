"""DelayScheduler: release delayed tasks (retries, countdown, eta) from the delay topics.

Each worker runs one, in the consumer group `<ns>.scheduler` over all delay topics. A record
in bucket `<ns>.retry.<label>` is due `label` after it was written; records of a partition are
due in the order they were written, so the scheduler waits for the head of each partition
(pausing it, never sleeping on the consumer) and passes every due record on: to its queue, or
to the next bucket when its eta is further away. Offsets are committed only once the broker has
the forwarded copy, so a restart loses no delayed task (and may forward one twice; the worker's
duplicate filter runs it once).
"""

from __future__ import annotations

import heapq
import logging
import queue
import threading
import time
from collections.abc import Callable

from confluent_kafka import Consumer, KafkaError, Message, TopicPartition

from kafkatask.delays import TOLERANCE, bucket_named, delayed_topic
from kafkatask.exceptions import DecodeError, PublishError
from kafkatask.kafka import TopicNames
from kafkatask.kafka.config import GroupProtocol, worker_consumer_config
from kafkatask.kafka.consuming import position, take
from kafkatask.protocol import AnyHeaders, Headers, TaskMessage, decode
from kafkatask.remote_errors import describe
from kafkatask.settings import Settings
from kafkatask.worker.commits import commit_done
from kafkatask.worker.dead_letters import DeadLetterWriter
from kafkatask.worker.job import RawRecord
from kafkatask.worker.offsets import OffsetTracker, Receipt
from kafkatask.worker.outbox import Outbox

_log = logging.getLogger("kafkatask.worker")


class DelayScheduler:
    def __init__(
        self,
        settings: Settings,
        names: TopicNames,
        *,
        topics: list[str],
        worker_id: str,
        protocol: GroupProtocol,
        outbox: Outbox,
        dead_letters: DeadLetterWriter,
    ) -> None:
        self._names = names
        self._outbox = outbox
        self._dead_letters = dead_letters
        self._commit_interval = settings.commit_interval
        self._tracker = OffsetTracker()
        self._notices: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._waiting: list[tuple[float, str, int]] = []
        self._paused: set[tuple[str, int]] = set()
        self._closed = threading.Event()
        self._consumer = Consumer(
            worker_consumer_config(
                settings, f"{worker_id}-scheduler", names.scheduler_group, protocol
            )
        )
        self._consumer.subscribe(
            topics, on_assign=self._on_assign, on_revoke=self._on_revoke, on_lost=self._on_lost
        )
        self._thread = threading.Thread(target=self._run, name="kafkatask-scheduler", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=10.0)

    # -- the loop --------------------------------------------------------------------------

    def _run(self) -> None:
        last_commit = 0.0
        try:
            while not self._closed.is_set():
                self._drain()
                self._resume_due()
                for record in take(self._consumer, 100, timeout=self._next_wait()):
                    if record.error() is None:
                        self._handle(record)
                if time.monotonic() - last_commit >= self._commit_interval:
                    last_commit = time.monotonic()
                    self._commit(sync=False)
            self._drain()
            self._commit(sync=True)
        finally:
            self._consumer.close()

    def _next_wait(self) -> float:
        if not self._waiting:
            return 0.1
        return max(0.0, min(0.1, self._waiting[0][0] - time.time()))

    def _handle(self, record: Message) -> None:
        topic, partition, offset = position(record)
        if (topic, partition) in self._paused:
            # A record behind one this partition waits for came in the same fetch: the
            # partition was sought back to the waiting record, so this one will be read again.
            return
        receipt = self._tracker.track((topic, partition), offset)
        if receipt is None:  # its partition moved away while it was handed over
            return
        try:
            self._forward_when_due(record, receipt)
        except Exception as error:  # a bug must not stop the scheduler, nor its partition
            _log.exception("could not schedule %s[%d]@%d", topic, partition, offset)
            self._dead_letter(record, receipt, reason="worker-error", error=error, message=None)

    def _forward_when_due(self, record: Message, receipt: Receipt) -> None:
        topic, _, _ = position(record)
        bucket = bucket_named(topic.rsplit(".", 1)[-1])
        now = time.time()
        bucket_due = record.timestamp()[1] / 1000 + (bucket.seconds if bucket else 0)
        if bucket_due > now:
            self._wait(receipt, bucket_due)
            return
        try:
            message = decode(TaskMessage, record.value(), record.headers())
        except DecodeError as error:
            self._dead_letter(record, receipt, reason="undecodable", error=error, message=None)
            return
        remaining = (message.eta or 0.0) - now
        destination = delayed_topic(self._names, message, now)
        if destination == self._names.tasks(message.queue) and remaining > TOLERANCE:
            # Due sooner than the smallest bucket: wait for it here.
            self._wait(receipt, now + remaining)
            return

        def undeliverable(error: KafkaError) -> None:
            problem = PublishError(f"could not deliver to {destination}: {error.str()}")
            self._dead_letter(
                record, receipt, reason="undeliverable", error=problem, message=message
            )

        self._outbox.send(
            destination,
            record.value() or b"",
            key=record.key(),
            headers=_as_list(record.headers()),
            on_acked=self._acked(receipt),
            on_failed=undeliverable,
            what=f"delayed task {message.task}[{message.id}]",
            sign=False,  # forwarded as it was, signature included
        )

    def _dead_letter(
        self,
        record: Message,
        receipt: Receipt,
        *,
        reason: str,
        error: Exception,
        message: TaskMessage | None,
    ) -> None:
        topic, partition, offset = position(record)
        raw = RawRecord(topic, partition, offset, record.value(), record.key(), record.headers())
        self._dead_letters.write(
            raw,
            reason=reason,
            error=describe(error),
            message=message,
            on_acked=self._acked(receipt),
        )

    def _wait(self, receipt: Receipt, due: float) -> None:
        """Pause the record's partition and read it again from this record once it is due."""
        (topic, partition), offset = receipt.tp, receipt.offset
        tp = TopicPartition(topic, partition, offset)
        self._consumer.pause([tp])
        self._consumer.seek(tp)
        self._tracker.untrack(receipt)
        self._paused.add((topic, partition))
        heapq.heappush(self._waiting, (due, topic, partition))

    def _resume_due(self) -> None:
        now = time.time()
        while self._waiting and self._waiting[0][0] <= now:
            _, topic, partition = heapq.heappop(self._waiting)
            if (topic, partition) in self._paused:
                self._paused.discard((topic, partition))
                self._consumer.resume([TopicPartition(topic, partition)])

    # -- offsets -----------------------------------------------------------------------------

    def _acked(self, receipt: Receipt) -> Callable[[], None]:
        return lambda: self._notices.put(lambda: self._tracker.complete(receipt))

    def _drain(self) -> None:
        while True:
            try:
                self._notices.get_nowait()()
            except queue.Empty:
                return

    def _commit(self, sync: bool, partitions: list[tuple[str, int]] | None = None) -> None:
        commit_done(self._consumer, self._tracker, sync=sync, partitions=partitions)

    # -- rebalances ----------------------------------------------------------------------

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        for p in partitions:
            self._tracker.assign((p.topic, p.partition))

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        revoked = [(p.topic, p.partition) for p in partitions]
        deadline = time.monotonic() + 5.0
        while any(self._tracker.owed(tp) for tp in revoked) and time.monotonic() < deadline:
            self._drain()
            time.sleep(0.01)
        self._commit(sync=True, partitions=revoked)
        self._forget(revoked)

    def _on_lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._forget([(p.topic, p.partition) for p in partitions])

    def _forget(self, partitions: list[tuple[str, int]]) -> None:
        for tp in partitions:
            self._tracker.forget(tp)
            self._paused.discard(tp)
        self._waiting = [w for w in self._waiting if (w[1], w[2]) not in partitions]
        heapq.heapify(self._waiting)


def _as_list(headers: AnyHeaders | None) -> Headers:
    if headers is None:
        return []
    return list(headers.items()) if isinstance(headers, dict) else list(headers)
