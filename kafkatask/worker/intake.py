"""Intake: turn a consumed record into a Job, or answer it without running it.

Nothing a sender can put on a task topic stops the worker. A record that is not signed when a
secret is set, does not decode or validate, or names no registered task, goes to the
dead-letter topic with the reason, and its caller (when the record says who that is) gets a
FAILURE; a revoked or expired task gets REVOKED; a duplicate of a task that already ran (same
id and retry count) gets the first run's result.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from confluent_kafka import Message

from kafkatask.exceptions import DecodeError, TaskRevokedError, UnknownTaskError
from kafkatask.kafka.consuming import position
from kafkatask.protocol import (
    Header,
    ReplyAddress,
    ResultMessage,
    TaskEvent,
    TaskMessage,
    decode,
    header_value,
)
from kafkatask.remote_errors import describe
from kafkatask.runnable_config import config_from_wire
from kafkatask.serialization import codec_for
from kafkatask.serialization.signing import Signer
from kafkatask.states import TaskState
from kafkatask.worker.dead_letters import DeadLetterWriter
from kafkatask.worker.duplicates import DuplicateFilter
from kafkatask.worker.events import EventPublisher, preview, truncate
from kafkatask.worker.job import Job, RawRecord
from kafkatask.worker.offsets import Receipt
from kafkatask.worker.replies import ReplySender
from kafkatask.worker.stats import WorkerStats

if TYPE_CHECKING:
    from kafkatask.app import App

_log = logging.getLogger("kafkatask.worker")

Owe = Callable[[Receipt, int], Callable[[], None]]


class Intake:
    def __init__(
        self,
        *,
        app: App,
        worker_id: str,
        replies: ReplySender,
        dead_letters: DeadLetterWriter,
        events: EventPublisher,
        stats: WorkerStats,
        duplicates: DuplicateFilter,
        revoked: Callable[[str], bool],
        signer: Signer | None,
        owe: Owe,
    ) -> None:
        self._app = app
        self._worker_id = worker_id
        self._replies = replies
        self._dead_letters = dead_letters
        self._events = events
        self._stats = stats
        self._duplicates = duplicates
        self._revoked = revoked
        self._signer = signer
        self._owe = owe

    def accept(self, record: Message, receipt: Receipt) -> Job | None:
        """A Job to run, or None when the record was answered without running."""
        topic, partition, offset = position(record)
        raw = RawRecord(topic, partition, offset, record.value(), record.key(), record.headers())
        if self._signer is not None:
            problem = self._signer.verify(raw.headers, raw.value)
            if problem is not None:
                self._refuse(raw, receipt, "unverified", DecodeError(problem), _salvage(raw))
                return None
        try:
            message = decode(TaskMessage, raw.value, raw.headers)
        except DecodeError as error:
            self._refuse(raw, receipt, "undecodable", error, _salvage(raw))
            return None
        return self._admit(raw, receipt, message)

    def _admit(self, raw: RawRecord, receipt: Receipt, message: TaskMessage) -> Job | None:
        task = self._app.registry.get(message.task)
        if task is None:
            registered = ", ".join(self._app.registry.names()) or "none"
            unknown = UnknownTaskError(
                f"no task named {message.task!r} is registered on worker {self._worker_id} "
                f"(registered: {registered}); check the name, or start a worker with -A for "
                "the module that defines it"
            )
            self._refuse(raw, receipt, "unknown-task", unknown, message)
            return None
        if self._revoked(message.id):
            self._revoke(receipt, message, f"task {message.task}[{message.id}] was revoked")
            return None
        if message.expires_at is not None and time.time() > message.expires_at:
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(message.expires_at))
            self._revoke(
                receipt,
                message,
                f"task {message.task}[{message.id}] expired at {when} UTC before a worker "
                "could start it",
            )
            return None
        duplicate, earlier = self._duplicates.check(message)
        if duplicate:
            self._duplicate(receipt, message, earlier)
            return None
        values = self._app.values
        try:
            args = [values.decode(arg) for arg in message.args]
            kwargs = {name: values.decode(v) for name, v in message.kwargs.items()}
            config = config_from_wire(message.config, values)
        except (DecodeError, ValueError) as error:
            self._duplicates.forget(message)
            self._refuse(raw, receipt, "undecodable-arguments", error, message)
            return None
        self._events.task(
            "task-received", message, receipt, args=truncate(_call_repr(args, kwargs))
        )
        if message.track_started:
            self._replies.state(message, TaskState.RECEIVED)
        return Job(receipt, message, task, args, kwargs, raw, config)

    def revoke_later(self, job: Job, reason: str) -> None:
        """A job taken back before it ran (revoked while waiting): answer REVOKED."""
        self._revoke(job.receipt, job.message, reason)

    def _revoke(self, receipt: Receipt, message: TaskMessage, reason: str) -> None:
        error = describe(TaskRevokedError(reason))
        self._replies.final(message, TaskState.REVOKED, self._owe(receipt, 1), error=error)
        self._stats.rejected()
        self._events.task("task-revoked", message, receipt, error=error)
        _log.info("%s; not run", reason)

    def _duplicate(
        self, receipt: Receipt, message: TaskMessage, earlier: ResultMessage | None
    ) -> None:
        self._stats.suppressed_duplicate()
        _log.info(
            "Task %s[%s] is a duplicate of one already taken; not run again",
            message.task,
            message.id,
        )
        if earlier is None or message.reply_to is None:
            # Still running (its reply will reach this caller too), or nobody to answer.
            self._owe(receipt, 0)
            return
        self.answer_duplicate(message, earlier, self._owe(receipt, 1))

    def answer_duplicate(
        self, message: TaskMessage, earlier: ResultMessage, on_acked: Callable[[], None]
    ) -> None:
        """Send the first run's final reply to a duplicate's caller."""
        self._replies.final(
            message,
            earlier.state,
            on_acked,
            result=earlier.result,
            error=earlier.error,
            runtime=earlier.runtime,
        )

    def _refuse(
        self,
        raw: RawRecord,
        receipt: Receipt,
        reason: str,
        error: Exception,
        message: TaskMessage | _Salvaged | None,
    ) -> None:
        info = describe(error)
        answerable = message is not None and message.reply_to is not None
        acknowledge = self._owe(receipt, 2 if answerable else 1)
        self._dead_letters.write(
            raw,
            reason=reason,
            error=info,
            message=message if isinstance(message, TaskMessage) else None,
            on_acked=acknowledge,
        )
        if answerable and message is not None:
            request = message if isinstance(message, TaskMessage) else message.as_request()
            self._replies.final(request, TaskState.FAILURE, acknowledge, error=info)
        self._stats.rejected()
        self._events.raw(
            TaskEvent(
                type="task-rejected",
                worker=self._worker_id,
                task_id=message.id if message else None,
                task=message.task if message else None,
                partition=raw.partition,
                offset=raw.offset,
                error=info,
            )
        )


class _Salvaged:
    """What can be read off a record that is not a valid TaskMessage, to answer its caller."""

    def __init__(self, task_id: str, task: str, reply_to: ReplyAddress) -> None:
        self.id = task_id
        self.task = task
        self.reply_to = reply_to

    def as_request(self) -> TaskMessage:
        return TaskMessage(id=self.id, task=self.task, reply_to=self.reply_to)


def _salvage(raw: RawRecord) -> _Salvaged | None:
    try:
        tree = codec_for(header_value(raw.headers, Header.CONTENT_TYPE)).loads(raw.value or b"")
        reply_to = ReplyAddress.model_validate(tree["reply_to"])
        task_id, task = tree["id"], tree.get("task") or "?"
    except Exception:  # nothing usable: nobody to answer
        return None
    if not isinstance(task_id, str) or not task_id or not isinstance(task, str):
        return None
    return _Salvaged(task_id, task, reply_to)


def _call_repr(args: list[Any], kwargs: dict[str, Any]) -> str:
    parts = [preview(arg) for arg in args]
    parts += [f"{name}={preview(value)}" for name, value in kwargs.items()]
    return ", ".join(parts)
