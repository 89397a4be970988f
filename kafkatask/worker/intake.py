"""Intake: turn a consumed record into a Job, or refuse it with a clear reason.

Nothing a sender can put on a task topic stops the worker: a record that does not decode or
validate, or names no registered task, goes to the dead-letter topic with the reason, and the
caller (when the record says who that is) gets a FAILURE; an expired task gets REVOKED.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from confluent_kafka import Message

from kafkatask.exceptions import DecodeError, TaskRevokedError, UnknownTaskError
from kafkatask.kafka import MessageProducer
from kafkatask.kafka.consuming import position
from kafkatask.protocol import (
    DeadLetter,
    MessageKind,
    SourceRecord,
    TaskEvent,
    TaskMessage,
    decode,
    encode,
    headers_for,
)
from kafkatask.remote_errors import describe
from kafkatask.runnable_config import config_from_wire
from kafkatask.serialization import Codec
from kafkatask.states import TaskState
from kafkatask.worker.events import EventPublisher, preview, truncate
from kafkatask.worker.job import Job
from kafkatask.worker.offsets import Receipt
from kafkatask.worker.replies import ReplySender
from kafkatask.worker.stats import WorkerStats

if TYPE_CHECKING:
    from kafkatask.app import App

_log = logging.getLogger("kafkatask.worker")


class Intake:
    def __init__(
        self,
        *,
        app: App,
        worker_id: str,
        producer: MessageProducer,
        codec: Codec,
        replies: ReplySender,
        events: EventPublisher,
        stats: WorkerStats,
        settle: Callable[[Receipt], None],
        post: Callable[[Callable[[], None]], None],
    ) -> None:
        self._app = app
        self._worker_id = worker_id
        self._producer = producer
        self._codec = codec
        self._replies = replies
        self._events = events
        self._stats = stats
        self._settle = settle
        self._post = post
        self._dlq = app.topology.names.dlq

    def accept(self, record: Message, receipt: Receipt) -> Job | None:
        """A Job to run, or None when the record was refused (and answered, if possible)."""
        try:
            message = decode(TaskMessage, record.value(), record.headers())
        except DecodeError as error:
            self._dead_letter(record, receipt, "undecodable", error, None)
            return None
        task = self._app.registry.get(message.task)
        if task is None:
            registered = ", ".join(self._app.registry.names()) or "none"
            unknown = UnknownTaskError(
                f"no task named {message.task!r} is registered on worker {self._worker_id} "
                f"(registered: {registered}); check the name, or start a worker with -A for "
                "the module that defines it"
            )
            self._dead_letter(record, receipt, "unknown-task", unknown, message)
            return None
        if message.expires_at is not None and time.time() > message.expires_at:
            self._expire(receipt, message)
            return None
        values = self._app.values
        try:
            args = [values.decode(arg) for arg in message.args]
            kwargs = {name: values.decode(v) for name, v in message.kwargs.items()}
            config = config_from_wire(message.config, values)
        except (DecodeError, ValueError) as error:
            self._dead_letter(record, receipt, "undecodable-arguments", error, message)
            return None
        job = Job(receipt, message, task, args, kwargs, record.key(), config)
        self._events.task(
            "task-received", message, receipt, args=truncate(_call_repr(args, kwargs))
        )
        if message.track_started:
            self._replies.state(message, TaskState.RECEIVED)
        return job

    def _expire(self, receipt: Receipt, message: TaskMessage) -> None:
        assert message.expires_at is not None
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(message.expires_at))
        error = describe(
            TaskRevokedError(
                f"task {message.task}[{message.id}] expired at {when} UTC before a worker "
                "could start it"
            )
        )
        receipt.outstanding = 1
        self._replies.final(message, TaskState.REVOKED, self._settler(receipt), error=error)
        self._stats.rejected()
        self._events.task("task-revoked", message, receipt, error=error)
        _log.info("Task %s[%s] expired; not run", message.task, message.id)

    def _dead_letter(
        self,
        record: Message,
        receipt: Receipt,
        reason: str,
        error: Exception,
        message: TaskMessage | None,
    ) -> None:
        info = describe(error)
        topic, partition, offset = position(record)
        letter = DeadLetter.of_record(
            record.value(),
            record.key(),
            record.headers(),
            reason=reason,
            error=info,
            task_id=message.id if message else None,
            task=message.task if message else None,
            source=SourceRecord(topic=topic, partition=partition, offset=offset),
            worker=self._worker_id,
        )
        answer_caller = message is not None and message.reply_to is not None
        receipt.outstanding = 2 if answer_caller else 1
        self._producer.send(
            self._dlq,
            encode(letter, self._codec),
            key=(message.id if message else f"{topic}:{partition}:{offset}").encode(),
            headers=headers_for(
                MessageKind.DEAD_LETTER,
                self._codec,
                message.task if message else None,
                message.id if message else None,
            ),
            on_delivery=self._delivered(receipt),
        )
        if message is not None:
            self._replies.final(message, TaskState.FAILURE, self._settler(receipt), error=info)
        self._stats.rejected()
        self._events.raw(
            TaskEvent(
                type="task-rejected",
                worker=self._worker_id,
                task_id=message.id if message else None,
                task=message.task if message else None,
                partition=partition,
                offset=offset,
                error=info,
            )
        )
        _log.error("dead-lettered %s[%d]@%d (%s): %s", topic, partition, offset, reason, error)

    def _settler(self, receipt: Receipt) -> Callable[[], None]:
        return lambda: self._settle(receipt)

    def _delivered(self, receipt: Receipt) -> Callable[[Any, Any], None]:
        def delivered(error: Any, record: Any) -> None:
            if error is None:
                self._post(self._settler(receipt))
            else:  # the partition stays uncommitted here; the record is retried after a restart
                _log.error("dead letter for offset %d not acknowledged: %s", receipt.offset, error)

        return delivered


def _call_repr(args: list[Any], kwargs: dict[str, Any]) -> str:
    parts = [preview(arg) for arg in args]
    parts += [f"{name}={preview(value)}" for name, value in kwargs.items()]
    return ", ".join(parts)
