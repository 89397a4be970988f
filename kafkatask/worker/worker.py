"""Worker: consume task requests, run them with bounded concurrency, answer, commit.

One confluent-kafka consumer per worker, in the consumer group of its queue set. The consumer
thread (the one calling `run`) owns the consumer, the offset tracker and commits; tasks run on
the ExecutionPool. Offsets are committed only past records whose replies the broker has
acknowledged, contiguously per partition (see offsets.py), so a crash re-runs at most what was
in flight and loses nothing.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from confluent_kafka import Consumer, KafkaError, Message, TopicPartition

from kafkatask.exceptions import BrokerUnavailableError, TaskRevokedError
from kafkatask.kafka import MessageProducer, TopicAdmin
from kafkatask.kafka.config import (
    GroupProtocol,
    common_config,
    producer_config,
    worker_consumer_config,
)
from kafkatask.kafka.consuming import position, take
from kafkatask.kafka.groups import GroupSetup
from kafkatask.middleware.base import WorkerServices
from kafkatask.protocol import WorkerInfo, peek_sent_at
from kafkatask.serialization import codec_named
from kafkatask.serialization.signing import signer_of
from kafkatask.worker.commits import commit_done, commit_positions
from kafkatask.worker.dead_letters import DeadLetterWriter
from kafkatask.worker.dispatch import Dispatcher
from kafkatask.worker.duplicates import DuplicateFilter
from kafkatask.worker.events import EventPublisher, Heartbeat, host_info
from kafkatask.worker.execution import TaskRunner
from kafkatask.worker.intake import Intake
from kafkatask.worker.job import Job, RawRecord
from kafkatask.worker.lease import AssignmentLease
from kafkatask.worker.metrics import WorkerMetrics
from kafkatask.worker.offsets import OffsetTracker, Receipt, TopicPartitionKey
from kafkatask.worker.outbox import Outbox
from kafkatask.worker.pool import ExecutionPool
from kafkatask.worker.read_ahead import ReadAhead, Taken
from kafkatask.worker.replies import ReplySender
from kafkatask.worker.retrying import RetryPublisher
from kafkatask.worker.revocations import Revocations
from kafkatask.worker.scheduler import DelayScheduler
from kafkatask.worker.settlement import Settlement
from kafkatask.worker.stack import MiddlewareStack
from kafkatask.worker.stats import WorkerStats
from kafkatask.worker.timers import TimerQueue

if TYPE_CHECKING:
    from kafkatask.app import App

_log = logging.getLogger("kafkatask.worker")
_PAUSE_AFTER = 0.05
_LAST_COMMIT_PATIENCE = 10.0
"""How long a stopping worker keeps trying to commit through a rebalance."""
_READ_AHEAD_RECORDS = 4096
_READ_AHEAD_BYTES = 4 * 1024 * 1024
"""As much as librdkafka's own queue holds (queued.max.messages.kbytes): enough to see the
oldest record of every partition of a burst, so tasks start in the order they were sent."""
_CONNECT_RETRY = 1.0
"""Seconds between two attempts to reach Kafka at start (each waits connect_timeout)."""


class Worker:
    """Runs an app's tasks from the given queues until `stop()` (or a signal, from the CLI).

    Args:
        app: the application whose registry names the tasks this worker can run.
        queues: queue names to consume (default: the app's default queue).
        concurrency: tasks running at once in this process (default: settings.concurrency).
        name: this worker's id in events and logs (default: `<app>@<host>:<random>`).
        shutdown_grace: seconds running tasks get to finish on stop (default: settings).
        metrics_port: serve Prometheus metrics on this port (0: any free one), see metrics.py.
        metrics_host: the address the metrics listen on.
        connect_timeout: give up starting when Kafka has not answered for this many seconds
            (default: wait until it answers, or until `stop()`).
    """

    def __init__(
        self,
        app: App,
        *,
        queues: Sequence[str] | None = None,
        concurrency: int | None = None,
        name: str | None = None,
        shutdown_grace: float | None = None,
        metrics_port: int | None = None,
        metrics_host: str = "0.0.0.0",
        connect_timeout: float | None = None,
    ) -> None:
        self.app = app
        settings = app.settings
        self.queues = sorted(set(queues or [settings.default_queue]))
        self.concurrency = concurrency or settings.concurrency
        self.id = name or f"{app.name}@{socket.gethostname()}:{uuid.uuid4().hex[:6]}"
        self.group_id = app.topology.names.workers_group(self.queues)
        self.shutdown_grace = settings.shutdown_grace if shutdown_grace is None else shutdown_grace
        self.stats = WorkerStats()
        self.connect_timeout = connect_timeout
        self.middleware = MiddlewareStack([kind() for kind in app.middleware])
        self._limit = self.concurrency + settings.effective_prefetch
        self._stopping = threading.Event()
        self._stopped = threading.Event()
        self._started = threading.Event()
        self._failed_to_start: BaseException | None = None
        self._notices: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._tracker = OffsetTracker()
        self._paused = False
        self._read_ahead = ReadAhead(
            _READ_AHEAD_RECORDS,
            _READ_AHEAD_BYTES,
            lambda record: peek_sent_at(record.value(), record.headers()),
        )
        self._capped: set[TopicPartitionKey] = set()
        """Partitions paused because a crash would run too much of them again."""
        self._share = settings.max_uncommitted
        """The uncommitted records each partition may have (max_uncommitted over them all)."""
        self._full_since: float | None = None
        self._last_commit = 0.0
        self._lease = AssignmentLease(settings.session_timeout_ms / 2000)
        self.group_protocol: GroupProtocol = "classic"
        """The consumer group protocol the worker speaks (settled when it starts)."""
        self._host = host_info()
        # -- optional Prometheus metrics (metrics.py); joins the middleware stack above --
        self.metrics = (
            None if metrics_port is None else WorkerMetrics(self, metrics_port, metrics_host)
        )

    # -- lifecycle -----------------------------------------------------------------------

    def run(self) -> None:
        """Consume and run tasks on this thread until `stop()` is called."""
        try:
            opened = self._open()
        except BaseException as error:
            self._failed_to_start = error
            self._started.set()
            self._stopped.set()
            raise
        if not opened:
            _log.warning("worker %s stopped before Kafka answered", self.id)
            self._started.set()
            self._stopped.set()
            return
        try:
            self._lease.confirm()  # nothing is held yet; the wait for Kafka was no gap
            self._started.set()
            _log.info(
                "worker %s ready: queues %s, concurrency %d, group protocol %s, tasks: %s",
                self.id,
                ",".join(self.queues),
                self.concurrency,
                self.group_protocol,
                ", ".join(self.app.registry.names()),
            )
            while not self._stopping.is_set():
                self._step()
        finally:
            self._close()
            self._stopped.set()

    def start(self) -> threading.Thread:
        """Run the worker on a background thread (for tests and embedding); returns it."""
        thread = threading.Thread(target=self._run_quietly, name=f"kafkatask-worker-{self.id}")
        thread.daemon = True
        thread.start()
        self._started.wait(timeout=self.app.settings.connect_timeout * 3)
        if self._failed_to_start is not None:
            raise self._failed_to_start
        return thread

    def _run_quietly(self) -> None:
        # start() re-raises a failure to start in the caller's thread.
        try:
            self.run()
        except BaseException:
            if self._failed_to_start is None:
                raise

    def stop(self) -> None:
        """Ask the worker to stop: finish running tasks (up to the grace period), commit, leave."""
        self._stopping.set()

    def join(self, timeout: float | None = None) -> bool:
        return self._stopped.wait(timeout)

    def partitions(self) -> list[tuple[str, int]]:
        """The (topic, partition) pairs this worker owns now."""
        return self._tracker.partitions()

    # -- setup and teardown --------------------------------------------------------------

    def _open(self) -> bool:
        """Connect and build everything; False when stopped before Kafka answered."""
        settings, topology = self.app.settings, self.app.topology
        names = topology.names
        codec = codec_named(settings.codec)
        signer = signer_of(settings)
        groups = self._connect()
        if groups is None:
            return False
        self.group_protocol = groups.protocol
        self._lease.window = groups.session_timeout_ms / 2000
        self._producer = MessageProducer(
            producer_config(settings, self.id), serve_in_background=False
        )
        self._timers = TimerQueue()
        self.middleware.start(WorkerServices(self.id, self._timers))
        outbox = Outbox(self._producer, self._notices.put, signer)
        replies = ReplySender(outbox, codec, self.app.values, self.id, settings.max_message_bytes)
        self._events = EventPublisher(outbox, codec, names.events, self.id, settings.events)
        dead_letters = DeadLetterWriter(outbox, codec, names.dlq, self.id)
        duplicates = self._duplicates = DuplicateFilter(
            settings.idempotency_window, max_bytes=settings.idempotency_max_bytes
        )
        self._pool = ExecutionPool(self.concurrency)
        self._dispatcher = Dispatcher(
            self.concurrency,
            self._pool,
            self.middleware,
            self._timers,
            self._lease,
            # The pool went idle: its last replies go now; no other reply will join their batch.
            on_idle=self._producer.hurry,
        )
        self._runner = TaskRunner(
            worker_id=self.id,
            values=self.app.values,
            replies=replies,
            events=self._events,
            stats=self.stats,
            stack=self.middleware,
            settlement=Settlement(
                values=self.app.values,
                replies=replies,
                retries=RetryPublisher(outbox, codec, names, self.id, dead_letters),
                dead_letters=dead_letters,
                events=self._events,
                stats=self.stats,
                owe=self._owe,
                worker_id=self.id,
                duplicates=duplicates,
            ),
            outbox=outbox,
            codec=codec,
            max_bytes=settings.max_message_bytes,
            release=self._dispatcher.release,
        )
        self._dispatcher.bind(self._runner)
        self._revocations = Revocations(settings, names.control, self.id, signer, self._revoke)
        self._intake = Intake(
            app=self.app,
            worker_id=self.id,
            replies=replies,
            dead_letters=dead_letters,
            events=self._events,
            stats=self.stats,
            duplicates=duplicates,
            revoked=self._revocations.__contains__,
            signer=signer,
            outbox=outbox,
            owe=self._owe,
        )
        if self.metrics is not None:
            # Before the scheduler, the heartbeat and the group: a port in use stops the start
            # before this worker takes any partition.
            self.metrics.start(self._dispatcher)
        self._scheduler = DelayScheduler(
            settings,
            names,
            topics=[spec.name for spec in topology.delays()],
            worker_id=self.id,
            protocol=groups.protocol,
            outbox=outbox,
            dead_letters=dead_letters,
        )
        self._heartbeat = Heartbeat(
            self._events, self.id, settings.heartbeat_interval, self._describe
        )
        self._heartbeat.start()
        self._consumer = Consumer(
            {
                **worker_consumer_config(settings, self.id, self.group_id, groups.protocol),
                "on_commit": self._on_commit,
            }
        )
        self._consumer.subscribe(
            [names.tasks(q) for q in self.queues],
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_lost,
        )
        return True

    def _connect(self) -> GroupSetup | None:
        """Create the topics and settle the group protocol, waiting for Kafka as long as it
        takes (a worker may start before its broker); None when stopped first.

        Raises BrokerUnavailableError once `connect_timeout` has passed.
        """
        settings, topology = self.app.settings, self.app.topology
        admin = TopicAdmin(common_config(settings, self.id), timeout=settings.connect_timeout)
        began = time.monotonic()
        while True:
            try:
                created = admin.ensure(topology.all(self.queues))
                if created:
                    _log.info("created topics: %s", ", ".join(created))
                groups = [self.group_id, topology.names.scheduler_group]
                return admin.prepare_groups(settings, groups)
            except BrokerUnavailableError as error:
                waited = time.monotonic() - began
                if self.connect_timeout is not None and waited >= self.connect_timeout:
                    raise BrokerUnavailableError(
                        f"gave up after {waited:.0f}s (connect timeout): {error}"
                    ) from None
                _log.warning("waiting for Kafka (%.0fs so far): %s", waited, error)
            if self._stopping.wait(_CONNECT_RETRY):
                return None

    def _close(self) -> None:
        if self.metrics is not None:
            self.metrics.stop()
        self._pause(self._consumer.assignment())
        for job in self._dispatcher.drop():
            self._give_back(job)
        deadline = time.monotonic() + self.shutdown_grace
        self._drain_until(lambda: self._owed(self._tracker.partitions()) == 0, deadline)
        if self._dispatcher.running():
            _log.warning(
                "stopping with %d task(s) still running after the %.0fs grace period; "
                "they will run again on another worker",
                self._dispatcher.running(),
                self.shutdown_grace,
            )
        self._commit_before_leaving()
        self._heartbeat.stop()
        self._scheduler.close()
        self._revocations.close()
        self.middleware.stop()
        self._events.flush()
        self._producer.flush(5.0)
        # close() leaves the group at once, so the partitions move without a session timeout.
        self._consumer.close()
        self._dispatcher.close()
        self._timers.close()
        self._pool.shutdown()
        _log.info("worker %s stopped", self.id)

    # -- the consumer loop ---------------------------------------------------------------

    def _step(self) -> None:
        self._producer.poll(0)
        self._events.flush()
        self._drain_notices()
        if not self._lease.renew():
            self._confirm_assignment()
        self._maybe_commit()
        room = self._limit - self._dispatcher.held()
        if room > 0:
            self._full_since = None
            self._resume()
            # Records already read ahead start now; only a worker without any waits for more.
            wait = 0.0 if self._read_ahead.ready(self._capped) else 0.05
            self._read(take(self._consumer, max(1, self._read_ahead.room()), timeout=wait))
        else:
            self._read(self._wait_for_room())
        if not self._lease.renew():
            self._confirm_assignment()  # frozen while polling: nothing read may start yet
        self._admit(self._limit - self._dispatcher.held())

    def _wait_for_room(self) -> list[Message]:
        """Full: wait for a job to finish, reading ahead meanwhile; pause the partitions when
        the read-ahead is full too and that lasts a while.

        Pausing drops librdkafka's own read-ahead and resuming fetches it again, so a worker
        that is full only for an instant (fast tasks) does not pause; one that stays full (slow
        tasks) pauses after `_PAUSE_AFTER` and holds nothing beyond its jobs and its read-ahead.
        """
        now = time.monotonic()
        if self._full_since is None:
            self._full_since = now
        full = self._read_ahead.full()
        if full and not self._paused and now - self._full_since >= _PAUSE_AFTER:
            self._pause(self._consumer.assignment())
        self._dispatcher.room.wait(_PAUSE_AFTER)
        self._dispatcher.room.clear()
        if self._paused or not full:
            # While paused, a zero-timeout poll keeps serving rebalances and group membership.
            return take(self._consumer, max(1, self._read_ahead.room()), timeout=0)
        return []

    def _read(self, records: list[Message]) -> None:
        """Put records read from Kafka in the read-ahead (read_ahead.py)."""
        for record in records:
            error = record.error()
            if error is not None:
                if error.code() != KafkaError._PARTITION_EOF:
                    _log.warning("consumer error: %s", error.str())
                continue
            topic, partition, _ = position(record)
            self._read_ahead.add((topic, partition), record)

    def _admit(self, room: int) -> None:
        """Take up to `room` records, oldest first, from partitions not at their share."""
        for _ in range(room):
            taken = self._read_ahead.pop_oldest(self._capped)
            if taken is None:
                return
            self._take(taken)

    def _take(self, taken: Taken) -> None:
        """Receive one record: track it, hand it to the intake, admit its job."""
        tp, record = taken.tp, taken.record
        topic, partition, offset = position(record)
        receipt = self._tracker.track(tp, offset)
        if receipt is None:
            _log.debug("skipping %s[%d]@%d: the partition moved away", topic, partition, offset)
            return
        if self._tracker.unconfirmed(tp) >= self._share:
            self._capped.add(tp)
            self._consumer.pause([TopicPartition(topic, partition)])
        raw = RawRecord(
            topic,
            partition,
            offset,
            record.value(),
            record.key(),
            record.headers(),
            taken.timestamp,
            taken.tie,
        )
        job = None
        try:
            job = self._intake.accept(raw, receipt)
            if job is not None:
                self._dispatcher.admit(job)  # runs middleware's before_start
        except Exception as failure:  # a bug must not stop the worker, nor its partition
            if job is not None:
                self._duplicates.forget(job.message)  # it will not run: copies must not wait
            self._intake.refuse_after_error(raw, receipt, failure)

    # -- what each record owes -------------------------------------------------------------

    def _owe(self, receipt: Receipt, count: int) -> Callable[[], None]:
        """`receipt` is done after `count` acknowledgements; returns the acknowledgement.

        Called from any thread; the counting happens on the consumer thread, in order.
        """
        self._notices.put(lambda: self._expect(receipt, count))
        return lambda: self._notices.put(lambda: self._acknowledged(receipt))

    def _expect(self, receipt: Receipt, count: int) -> None:
        receipt.outstanding += count
        if count == 0 and receipt.outstanding == 0:
            self._tracker.complete(receipt)

    def _acknowledged(self, receipt: Receipt) -> None:
        receipt.outstanding -= 1
        if receipt.outstanding == 0:
            self._tracker.complete(receipt)

    def _drain_notices(self) -> None:
        while True:
            try:
                notice = self._notices.get_nowait()
            except queue.Empty:
                return
            notice()

    def _drain_until(
        self, done: Callable[[], bool], deadline: float, *, in_callback: bool = False
    ) -> None:
        """Serve acknowledgements until `done()` or the deadline.

        Outside a rebalance callback a zero-timeout consume also keeps the group membership
        alive; inside one, the consumer must not be polled again (librdkafka forbids it).
        """
        while not done() and time.monotonic() < deadline:
            self._lease.renew()  # this thread is alive; a gap found here is confirmed later
            self._producer.poll(0.02)
            self._events.flush()
            self._drain_notices()
            if not in_callback:
                self._consumer.consume(1, timeout=0)

    def _give_back(self, job: Job) -> None:
        """A job that will not run here (its partition is leaving): its record comes again,
        to this worker or another, and must then run, not count as a duplicate."""
        self._tracker.abandon(job.receipt)
        self._duplicates.forget(job.message)

    def _owed(self, partitions: list[TopicPartitionKey]) -> int:
        return sum(self._tracker.owed(tp) for tp in partitions)

    # -- after a gap: is the assignment still ours? ----------------------------------------

    def _confirm_assignment(self) -> None:
        """Hold everything until the group coordinator confirms this member (see lease.py).

        A synchronous commit carries the member's generation (or, with the consumer protocol,
        its epoch), so the coordinator accepts it only from a member whose assignment still
        stands; a fenced member's commit fails, and librdkafka then reports the partitions lost
        at the next poll, which drops their jobs and their read-ahead (`_on_lost`).
        """
        gap = self._lease.gap()
        _log.warning(
            "no step of the consumer loop for %.1fs (the process was frozen or stalled): "
            "confirming the partition assignment before starting, answering or committing "
            "anything it holds",
            gap,
        )
        self._pause(self._consumer.assignment())
        while not self._stopping.is_set():
            if self._commit_positions():
                self._lease.confirm()
                _log.warning(
                    "assignment confirmed (%s); resuming", _describe(self._consumer.assignment())
                )
                self._dispatcher.resume()
                return
            # Serve the group protocol (lost/assigned partitions) and the acknowledgements.
            self._producer.poll(0)
            self._drain_notices()
            self._read(take(self._consumer, 1, timeout=0.2))

    def _commit_positions(self) -> bool:
        """Commit, synchronously, where each assigned partition stands (even when unchanged)."""
        positions = {}
        for p in self._consumer.position(self._consumer.assignment()):
            tp = (p.topic, p.partition)
            held = self._tracker.position(tp)
            position = held if held is not None else p.offset
            if position is not None and position >= 0:
                positions[tp] = position
        if not positions:
            return True  # nothing read from any partition, so nothing can be stale
        if not commit_positions(self._consumer, positions, sync=True):
            return False
        self._tracker.committed(positions)
        self._tracker.confirmed(positions)
        return True

    # -- revocation ----------------------------------------------------------------------

    def _revoke(self, task_ids: set[str], terminate: bool) -> None:
        """Called by the control reader: answer REVOKED for waiting jobs, maybe interrupt."""
        for job in self._dispatcher.drop_ids(task_ids):
            self._intake.revoke_later(job, f"task {job.label()} was revoked before it started")
        if terminate:
            for task_id in task_ids:
                running = self._runner.running.get(task_id)
                if running is not None:
                    running.interrupt(TaskRevokedError)

    # -- flow control --------------------------------------------------------------------

    def _pause(self, partitions: list[TopicPartition]) -> None:
        if partitions:
            self._consumer.pause(partitions)
        self._paused = True

    def _resume(self) -> None:
        if self._paused:
            capped = self._capped
            self._consumer.resume(
                [p for p in self._consumer.assignment() if (p.topic, p.partition) not in capped]
            )
            self._paused = False

    def _uncap(self) -> None:
        """Resume the capped partitions that commits brought back under half their share."""
        ready = [tp for tp in self._capped if self._tracker.unconfirmed(tp) <= self._share // 2]
        if not ready:
            return
        self._capped.difference_update(ready)
        if not self._paused:
            self._consumer.resume([TopicPartition(t, p) for t, p in ready])

    def _reshare(self, leaving: Sequence[TopicPartitionKey] = ()) -> None:
        """The assignment changed: divide max_uncommitted among its partitions again."""
        self._capped.difference_update(leaving)
        owned = len(self._tracker.partitions())
        self._share = max(1, self.app.settings.max_uncommitted // max(1, owned))

    # -- commits -------------------------------------------------------------------------

    def _maybe_commit(self) -> None:
        # Commit every commit_interval, and sooner when a partition approaches its share of
        # max_uncommitted, so that the cap bounds what a crash runs again without slowing a
        # worker that runs thousands of tasks a second.
        # (Never more often than four times an interval: failing commits are retried, not
        # hammered on a broker that is away.)
        now = time.monotonic()
        interval, elapsed = self.app.settings.commit_interval, now - self._last_commit
        if elapsed >= interval or (
            elapsed >= interval / 4 and self._tracker.most_unsent() >= max(1, self._share // 2)
        ):
            self._last_commit = now
            self._commit(sync=False)
        if self._capped:
            self._uncap()

    def _commit(self, sync: bool, partitions: list[TopicPartitionKey] | None = None) -> bool:
        return commit_done(self._consumer, self._tracker, sync=sync, partitions=partitions)

    def _commit_before_leaving(self) -> None:
        """The last commit; one that races a rebalance (a new group generation) is retried.

        The consumer keeps serving the rebalance meanwhile (every partition is paused, so no
        new work comes in); without this, the next owner would run again everything done
        since the previous commit.
        """
        deadline = time.monotonic() + _LAST_COMMIT_PATIENCE
        while not self._commit(sync=True) and time.monotonic() < deadline:
            take(self._consumer, 1, timeout=0.2)  # anything it returns is read again elsewhere

    def _on_commit(self, error: KafkaError | None, partitions: list[TopicPartition]) -> None:
        # Runs on the consumer thread (inside poll), like everything that touches the tracker.
        failed = [p for p in partitions if error is not None or p.error is not None]
        if failed:
            _log.warning("asynchronous commit failed: %s", error or failed[0].error)
            self._tracker.commit_failed({(p.topic, p.partition): p.offset for p in failed})
        if error is None:
            done = {(p.topic, p.partition): p.offset for p in partitions if p.error is None}
            self._tracker.confirmed(done)

    # -- rebalances ----------------------------------------------------------------------

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        assigned = [(p.topic, p.partition) for p in partitions]
        self._read_ahead.drop(assigned)  # anything left from an earlier assignment is stale
        for tp in assigned:
            self._tracker.assign(tp)
        self._reshare()
        _log.info("assigned %s", _describe(partitions))
        consumer.incremental_assign(partitions)
        if self._paused:
            # New partitions must not start fetching while the worker is full.
            consumer.pause(partitions)
        else:
            # librdkafka keeps a partition's pause across losing and regaining it (a worker
            # that paused everything, then lost it, would never fetch it again).
            consumer.resume(partitions)

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        revoked = [(p.topic, p.partition) for p in partitions]
        _log.info("revoking %s", _describe(partitions))
        self._read_ahead.drop(revoked)
        for job in self._dispatcher.drop(set(revoked)):
            self._give_back(job)
        deadline = time.monotonic() + self.app.settings.rebalance_grace
        self._drain_until(lambda: self._owed(revoked) == 0, deadline, in_callback=True)
        self._commit(sync=True, partitions=revoked)
        for tp in revoked:
            self._tracker.forget(tp)
        self._reshare(revoked)

    def _on_lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        lost = [(p.topic, p.partition) for p in partitions]
        _log.warning("lost %s (another worker may own them now)", _describe(partitions))
        self._read_ahead.drop(lost)
        for job in self._dispatcher.drop(set(lost)):
            self._give_back(job)
        for tp in lost:
            self._tracker.forget(tp)
        self._reshare(lost)

    # -- reporting -----------------------------------------------------------------------

    def _describe(self) -> WorkerInfo:
        assignment = [f"{t}[{p}]" for t, p in self._tracker.partitions()]
        return WorkerInfo(
            hostname=self._host["hostname"],
            pid=self._host["pid"],
            queues=self.queues,
            concurrency=self.concurrency,
            active=self.stats.active,
            processed=self.stats.processed,
            succeeded=self.stats.succeeded,
            failed=self.stats.failed,
            started_at=self._host["started_at"],
            version=self._host["version"],
            partitions=assignment,
        )


def _describe(partitions: list[TopicPartition]) -> str:
    return ", ".join(f"{p.topic}[{p.partition}]" for p in partitions) or "nothing"
