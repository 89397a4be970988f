"""Intake: turn a consumed record into a Job, or answer it without running it.

Nothing a sender can put on a task topic stops the worker. A record that does not decode or
validate, or names no registered task, goes to the dead-letter topic with the reason, and its
caller (when the record says who that is) gets a FAILURE; a record that is not signed (when a
secret is set) is only dead-lettered, since whoever forged it also chose where an answer would
go. A revoked or expired task gets REVOKED; a duplicate of a task that already ran (same id,
replay and retry count) gets the first run's result; a task due more than a second from now
goes back to the delay topics instead of waiting in memory.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kafkatask.delays import TOLERANCE, delayed_topic
from kafkatask.exceptions import DecodeError, TaskRevokedError, UnknownTaskError
from kafkatask.protocol import Header, ReplyAddress, TaskEvent, TaskMessage, decode, header_value
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
from kafkatask.worker.outbox import Outbox
from kafkatask.worker.replies import ReplySender
from kafkatask.worker.stats import WorkerStats

if TYPE_CHECKING:
    from kafkatask.app import App

_log = logging.getLogger("kafkatask.worker")

Owe = Callable[[Receipt, int], Callable[[], None]]

_HOLD_AT_MOST = 1.0
"""A task due sooner than this waits in the worker; a later one goes back to a delay topic."""


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
        outbox: Outbox,
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
        self._outbox = outbox
        self._owe = owe

    def accept(self, raw: RawRecord, receipt: Receipt) -> Job | None:
        """A Job to run, or None when the record was answered without running."""
        if self._signer is not None:
            problem = self._signer.verify(raw.headers, raw.value)
            if problem is not None:
                self._refuse(raw, receipt, "unverified", DecodeError(problem), None)
                return None
        try:
            message = decode(TaskMessage, raw.value, raw.headers)
        except DecodeError as error:
            self._refuse(raw, receipt, "undecodable", error, _salvage(raw))
            return None
        if self._answered(raw, receipt, message):
            return None
        return self._job(raw, receipt, message)

    def refuse_after_error(self, raw: RawRecord, receipt: Receipt, error: Exception) -> None:
        """Taking the record failed in the worker itself: keep it as a dead letter, move on."""
        _log.exception("could not take %s[%d]@%d", raw.topic, raw.partition, raw.offset)
        self._refuse(raw, receipt, "worker-error", error, None)

    def revoke_later(self, job: Job, reason: str) -> None:
        """A job taken back before it ran (revoked while waiting): answer REVOKED."""
        self._revoke(job.receipt, job.message, reason)

    # -- the checks, in order ------------------------------------------------------------

    def _answered(self, raw: RawRecord, receipt: Receipt, message: TaskMessage) -> bool:
        """True when the record was dealt with without running it."""
        if self._app.registry.get(message.task) is None:
            self._refuse(raw, receipt, "unknown-task", self._unknown(message), message)
            return True
        if message.eta is not None and message.eta - time.time() > _HOLD_AT_MOST:
            self._send_back(raw, receipt, message)
            return True
        reason = self._revoked_or_expired(message)
        if reason is not None:
            self._revoke(receipt, message, reason)
            return True
        duplicate, earlier = self._duplicates.check(message)
        if duplicate:
            self._duplicate(receipt, message, earlier)
        return duplicate

    def _job(self, raw: RawRecord, receipt: Receipt, message: TaskMessage) -> Job | None:
        task = self._app.registry.get(message.task)
        assert task is not None
        values = self._app.values
        try:
            args = [values.decode(arg) for arg in message.args]
            kwargs = {name: values.decode(v) for name, v in message.kwargs.items()}
            config = config_from_wire(message.config, values)
        except Exception as error:  # any malformed value: the request cannot run
            self._duplicates.forget(message)
            self._refuse(raw, receipt, "undecodable-arguments", _as_decode_error(error), message)
            return None
        self._events.task(
            "task-received",
            message,
            receipt,
            args=truncate(_call_repr(args, kwargs)),
            stream_to=message.stream_to,
        )
        if message.track_started:
            self._replies.state(message, TaskState.RECEIVED)
        return Job(receipt, message, task, args, kwargs, raw, config)

    def _unknown(self, message: TaskMessage) -> UnknownTaskError:
        registered = ", ".join(self._app.registry.names()) or "none"
        return UnknownTaskError(
            f"no task named {message.task!r} is registered on worker {self._worker_id} "
            f"(registered: {registered}); check the name, or start a worker with -A for "
            "the module that defines it"
        )

    def _revoked_or_expired(self, message: TaskMessage) -> str | None:
        if self._revoked(message.id):
            return f"task {message.task}[{message.id}] was revoked"
        return expired(message)

    # -- answers -------------------------------------------------------------------------

    def _send_back(self, raw: RawRecord, receipt: Receipt, message: TaskMessage) -> None:
        """Forward a task that is not due yet to its delay topic, unchanged (signature too)."""
        self._outbox.send(
            delayed_topic(self._app.topology.names, message),
            raw.value or b"",
            key=raw.key,
            headers=_as_list(raw.headers),
            on_acked=self._owe(receipt, 1),
            what=f"task {message.task}[{message.id}], not due yet",
            sign=False,
        )

    def _revoke(self, receipt: Receipt, message: TaskMessage, reason: str) -> None:
        error = describe(TaskRevokedError(reason))
        streams = message.stream_to is not None
        acknowledge = self._owe(receipt, 1 + streams)
        if streams:
            self._replies.close_stream(message, error, acknowledge)
        _, reply = self._replies.final(message, TaskState.REVOKED, acknowledge, error=error)
        self._duplicates.finish(message, reply)  # copies that came meanwhile are done too
        self._stats.rejected()
        self._events.task("task-revoked", message, receipt, error=error)
        _log.info("%s; not run", reason)

    def _duplicate(self, receipt: Receipt, message: TaskMessage, earlier: bytes | None) -> None:
        self._stats.suppressed_duplicate()
        _log.info(
            "Task %s[%s] is a duplicate of one already taken; not run again",
            message.task,
            message.id,
        )
        if earlier is None:
            # Still running: its reply will reach this caller too, and this record is done
            # when the first copy is.
            acknowledge = self._owe(receipt, 1)
            if not self._duplicates.hold(message, acknowledge):
                acknowledge()  # it finished meanwhile
            return
        self._replies.resend(message, earlier, self._owe(receipt, 1))

    def _refuse(
        self,
        raw: RawRecord,
        receipt: Receipt,
        reason: str,
        error: Exception,
        message: TaskMessage | None,
    ) -> None:
        info = describe(error)
        answerable = message is not None and message.reply_to is not None
        streams = message is not None and message.stream_to is not None
        acknowledge = self._owe(receipt, 1 + answerable + streams)
        self._dead_letters.write(
            raw, reason=reason, error=info, message=message, on_acked=acknowledge
        )
        if streams and message is not None:
            self._replies.close_stream(message, info, acknowledge)
        if answerable and message is not None:
            self._replies.final(message, TaskState.FAILURE, acknowledge, error=info)
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


def expired(message: TaskMessage, now: float | None = None) -> str | None:
    """Why `message` must not run any more (it expired), or None."""
    if message.expires_at is None or (now or time.time()) <= message.expires_at + TOLERANCE:
        return None
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(message.expires_at))
    return f"task {message.task}[{message.id}] expired at {when} UTC before a worker could start it"


def _salvage(raw: RawRecord) -> TaskMessage | None:
    """From a record that is not a valid TaskMessage: enough of one to answer its caller."""
    try:
        tree = codec_for(header_value(raw.headers, Header.CONTENT_TYPE)).loads(raw.value or b"")
        return TaskMessage(
            id=tree["id"],
            task=tree.get("task") or "?",
            reply_to=ReplyAddress.model_validate(tree["reply_to"]),
        )
    except Exception:  # nothing usable: nobody to answer
        return None


def _as_decode_error(error: Exception) -> DecodeError:
    if isinstance(error, DecodeError):
        return error
    return DecodeError(f"malformed request: {type(error).__name__}: {error}")


def _as_list(headers: Any) -> list[tuple[str, Any]]:
    if headers is None:
        return []
    return list(headers.items()) if isinstance(headers, dict) else list(headers)


def _call_repr(args: list[Any], kwargs: dict[str, Any]) -> str:
    parts = [preview(arg) for arg in args]
    parts += [f"{name}={preview(value)}" for name, value in kwargs.items()]
    return ", ".join(parts)
