"""The wire protocol: message envelopes, headers and protocol versioning.

Every kafkatask message is one Kafka record whose value is a codec-encoded map validated by one
of the envelope models below, and whose headers say what it is without decoding it. The whole
format is specified in docs/protocol.md for implementations in other languages.
"""

from __future__ import annotations

import base64
import math
import time
from enum import StrEnum
from typing import Any, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kafkatask.exceptions import DecodeError
from kafkatask.serialization.codecs import Codec, codec_for
from kafkatask.states import TaskState

PROTOCOL_VERSION = 1
_LAST_SECOND = 253402300799.0
"""9999-12-31T23:59:59Z: epoch seconds beyond it are refused (they break clocks and timers)."""

HeaderValue = str | bytes | None
Headers = list[tuple[str, HeaderValue]]
"""Record headers as kafkatask produces them."""
AnyHeaders = Headers | dict[str, HeaderValue]
"""Record headers as confluent-kafka may hand them over."""


class Header(StrEnum):
    """Record header names. Values are UTF-8 strings."""

    PROTOCOL = "kt-protocol"
    """The protocol version of the envelope, e.g. "1"."""
    CONTENT_TYPE = "content-type"
    """The codec of the value: application/x-msgpack or application/json."""
    KIND = "kt-kind"
    """What the record is: task, result, chunk, event or dead-letter."""
    TASK = "kt-task"
    """The task name, so routing and filtering need not decode the value."""
    ID = "kt-id"
    """The task id."""
    SIGNATURE = "kt-signature"
    """HMAC-SHA256 of the value and the headers above, when a signing secret is set."""


CALLER_HEADER = "kt-caller"
"""The entry of a task's `headers` map that names who sent it (the gateway writes the name of
the API key that called it, never the key). Workers copy it into the task's events."""


class MessageKind(StrEnum):
    TASK = "task"
    RESULT = "result"
    CHUNK = "chunk"
    EVENT = "event"
    DEAD_LETTER = "dead-letter"
    CONTROL = "control"
    DLQ_ACTION = "dlq-action"


class Envelope(BaseModel):
    """Base of every message: frozen, strict about unknown fields, versioned."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    v: int = Field(default=PROTOCOL_VERSION, ge=1)

    @model_validator(mode="after")
    def _known_version(self) -> Self:
        if self.v > PROTOCOL_VERSION:
            raise ValueError(
                f"protocol version {self.v} is newer than this kafkatask ({PROTOCOL_VERSION}); "
                "upgrade kafkatask on this side"
            )
        return self

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed, validated like the original."""
        return type(self).model_validate({**self.model_dump(), **changes})


class ReplyAddress(BaseModel):
    """Where a task's result goes: one partition of the results topic, owned by the caller."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    topic: str = Field(min_length=1)
    partition: int = Field(ge=0)


TaskMode = Literal["invoke", "stream", "events"]


class TaskMessage(Envelope):
    """A request to run a task. Arguments are wire values (see serialization/values.py)."""

    id: str = Field(min_length=1, max_length=256)
    task: str = Field(min_length=1, max_length=512)
    args: list[Any] = Field(default_factory=list)
    kwargs: dict[str, Any] = Field(default_factory=dict)
    mode: TaskMode = "invoke"
    config: dict[str, Any] | None = None
    reply_to: ReplyAddress | None = None
    stream_to: ReplyAddress | None = None
    """Where chunks go, for the "stream" and "events" modes: a partition of the streams topic."""
    queue: str = "default"
    key: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    sent_at: float = Field(default_factory=time.time, allow_inf_nan=False)
    expires_at: float | None = Field(default=None, ge=0, le=_LAST_SECOND, allow_inf_nan=False)
    eta: float | None = Field(default=None, ge=0, le=_LAST_SECOND, allow_inf_nan=False)
    retries: int = Field(default=0, ge=0)
    replays: int = Field(default=0, ge=0)
    """How often the task was replayed from the dead-letter topic: a replay is a new run, not a
    duplicate of the earlier one."""
    track_started: bool = False
    origin: str | None = None
    history: list[Attempt] = Field(default_factory=list)
    """The earlier attempts of this task (one per retry), oldest first."""

    @model_validator(mode="after")
    def _streams_need_an_address(self) -> Self:
        if self.mode != "invoke" and self.stream_to is None:
            raise ValueError(f"a {self.mode!r} request needs stream_to")
        return self


class ErrorInfo(BaseModel):
    """An exception, described so any language can show it and Python can rebuild it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str
    module: str = "builtins"
    message: str
    traceback: str = ""

    @classmethod
    def from_exception(cls, error: BaseException, traceback: str = "") -> ErrorInfo:
        kind = type(error)
        return cls(
            type=kind.__qualname__, module=kind.__module__, message=str(error), traceback=traceback
        )


class Attempt(BaseModel):
    """One failed run of a task, kept with the task as it is retried."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    retries: int = Field(ge=0)
    """The task's retry count when this run happened (0 for the first run)."""
    worker: str
    error: ErrorInfo
    at: float


class ResultMessage(Envelope):
    """A state change of a task, sent to the caller's reply partition."""

    id: str = Field(min_length=1)
    task: str
    state: TaskState
    result: Any = None
    error: ErrorInfo | None = None
    worker: str | None = None
    retries: int = 0
    date_done: float | None = None
    runtime: float | None = None

    @model_validator(mode="after")
    def _error_matches_state(self) -> Self:
        if self.state in (TaskState.FAILURE, TaskState.REVOKED) and self.error is None:
            raise ValueError(f"a {self.state} result needs an error")
        return self


ChunkKind = Literal["start", "chunk", "end", "error"]


class StreamChunk(Envelope):
    """One record of a task's stream: a start marker, a chunk, then an end or error marker.

    Every execution of a task is an `attempt`; a task re-run after a crash streams again under a
    new attempt, and readers follow the newest attempt without repeating a `seq` they have
    already seen (see streaming.py).
    """

    id: str = Field(min_length=1)
    task: str
    attempt: str = Field(min_length=1)
    seq: int = Field(ge=0)
    """0, 1, 2, ... for chunks; the chunk count for the end and error markers; 0 for start."""
    kind: ChunkKind
    data: Any = None
    error: ErrorInfo | None = None


class WorkerInfo(BaseModel):
    """What a worker says about itself in its heartbeats."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    hostname: str
    pid: int
    queues: list[str]
    concurrency: int
    active: int = 0
    processed: int = 0
    succeeded: int = 0
    failed: int = 0
    started_at: float = Field(ge=0, le=_LAST_SECOND, allow_inf_nan=False)
    version: str
    partitions: list[str] = Field(default_factory=list)


class TaskEvent(Envelope):
    """A worker or task event on the events topic (heartbeats and task state changes)."""

    type: str
    worker: str
    ts: float = Field(default_factory=time.time, ge=0, le=_LAST_SECOND, allow_inf_nan=False)
    task_id: str | None = None
    task: str | None = None
    queue: str | None = None
    partition: int | None = None
    offset: int | None = None
    runtime: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    retries: int | None = None
    error: ErrorInfo | None = None
    args: str | None = None
    """A truncated repr of the arguments, for display only."""
    result: str | None = None
    """A truncated repr of the result, for display only."""
    info: WorkerInfo | None = None
    stream_to: ReplyAddress | None = None
    """Where a streamed task's chunks go (on task-received), so monitors can find them."""
    caller: str | None = None
    """Who sent the task: its `kt-caller` header (CALLER_HEADER), when it has one."""


EVENT_BATCH = "event-batch"


class EventBatch(Envelope):
    """Several task events of one worker in one record: a busy worker's form of them."""

    type: Literal["event-batch"]
    worker: str
    events: list[TaskEvent] = Field(min_length=1)


def decode_events(value: bytes | None, headers: AnyHeaders | None) -> list[TaskEvent]:
    """The events of one events-topic record: one TaskEvent, or each of an EventBatch."""
    if not value:
        raise DecodeError("the record has no value")
    tree = codec_for(header_value(headers, Header.CONTENT_TYPE)).loads(value)
    model: type[TaskEvent | EventBatch] = TaskEvent
    if isinstance(tree, dict) and tree.get("type") == EVENT_BATCH:
        model = EventBatch
    event = _validated(model, tree)
    return event.events if isinstance(event, EventBatch) else [event]


class SourceRecord(BaseModel):
    """Where a record was read from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    topic: str
    partition: int
    offset: int


class DeadLetter(Envelope):
    """A message that cannot be processed, kept with everything needed to inspect or replay it."""

    reason: str
    error: ErrorInfo
    task_id: str | None = None
    task: str | None = None
    source: SourceRecord
    original_value: str
    """The original record value, base64."""
    original_key: str | None = None
    """The original record key, base64."""
    original_headers: list[tuple[str, str | None]] = Field(default_factory=list)
    """The original record headers as (name, base64 value) pairs; None for a header without
    a value."""
    worker: str
    dead_at: float = Field(default_factory=time.time)
    attempts: list[Attempt] = Field(default_factory=list)
    """Every run of the task that failed, the last one included, oldest first."""

    @classmethod
    def of_record(
        cls,
        value: bytes | None,
        key: bytes | None,
        headers: AnyHeaders | None,
        **fields: Any,
    ) -> DeadLetter:
        pairs = headers.items() if isinstance(headers, dict) else headers or []
        return cls(
            original_value=_b64(value or b""),
            original_key=None if key is None else _b64(key),
            original_headers=[
                (name, None if data is None else _b64(_as_bytes(data))) for name, data in pairs
            ],
            **fields,
        )

    def original_record(self) -> tuple[bytes, Headers]:
        """The original record's value and headers, decoded from base64."""
        headers: Headers = [
            (name, None if data is None else base64.b64decode(data))
            for name, data in self.original_headers
        ]
        return base64.b64decode(self.original_value), headers


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _as_bytes(value: HeaderValue) -> bytes:
    if value is None:
        return b""
    return value.encode() if isinstance(value, str) else value


E = TypeVar("E", bound=Envelope)


def headers_for(
    kind: MessageKind, codec: Codec, task: str | None = None, task_id: str | None = None
) -> Headers:
    headers: Headers = [
        (Header.PROTOCOL, str(PROTOCOL_VERSION).encode()),
        (Header.CONTENT_TYPE, codec.content_type.encode()),
        (Header.KIND, kind.encode()),
    ]
    if task is not None:
        headers.append((Header.TASK, task.encode()))
    if task_id is not None:
        headers.append((Header.ID, task_id.encode()))
    return headers


def header_value(headers: AnyHeaders | None, name: str) -> str | None:
    """The first header called `name`, decoded; None when absent."""
    pairs = headers.items() if isinstance(headers, dict) else headers or ()
    for key, value in pairs:
        if key == name:
            return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value
    return None


def encode(message: Envelope, codec: Codec) -> bytes:
    return codec.dumps(message.model_dump(mode="json"))


def peek_sent_at(value: bytes | None, headers: AnyHeaders | None) -> float | None:
    """A task record's `sent_at`, read without validating the record; None when it has none.

    For ordering only (the worker's read-ahead): the record is validated when it is received.
    """
    if not value:
        return None
    try:
        tree = codec_for(header_value(headers, Header.CONTENT_TYPE)).loads(value)
    except Exception:  # anything undecodable is the intake's to report, not this peek's
        return None
    sent_at = tree.get("sent_at") if isinstance(tree, dict) else None
    if isinstance(sent_at, bool) or not isinstance(sent_at, (int, float)):
        return None
    return float(sent_at) if math.isfinite(sent_at) else None


def decode(model: type[E], value: bytes | None, headers: AnyHeaders | None) -> E:
    """Decode and validate a record value as `model`; DecodeError names what is wrong."""
    if not value:
        raise DecodeError("the record has no value")
    return _validated(model, codec_for(header_value(headers, Header.CONTENT_TYPE)).loads(value))


def _validated(model: type[E], tree: Any) -> E:
    if not isinstance(tree, dict):
        raise DecodeError(f"a {model.__name__} must be a map, got {type(tree).__name__}")
    try:
        return model.model_validate(tree)
    except ValidationError as error:
        raise DecodeError(f"not a valid {model.__name__}: {_summary(error)}") from None


def _summary(error: ValidationError) -> str:
    parts = []
    for issue in error.errors()[:5]:
        where = ".".join(str(part) for part in issue["loc"]) or "message"
        parts.append(f"{where}: {issue['msg']}")
    return "; ".join(parts)


TaskMessage.model_rebuild()
