"""DeadLetterQueue: list, inspect, replay and purge the dead letters of a namespace.

`<ns>.dlq` is an append-only log, so what becomes of a dead letter is written to it too: a
`dlq-action` record marks letters replayed or purged. Purging also deletes the records before
the oldest letter still unresolved, which is all Kafka can delete. The CLI (`kafkatask dlq`)
and the dashboard both use this class.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from confluent_kafka import OFFSET_BEGINNING, Consumer, Message, TopicPartition
from confluent_kafka.admin import AdminClient
from pydantic import Field

from kafkatask.exceptions import DecodeError, KafkaTaskError
from kafkatask.kafka import TopicAdmin
from kafkatask.kafka.config import common_config, consumer_config
from kafkatask.kafka.consuming import take
from kafkatask.kafka.retrying import patiently
from kafkatask.protocol import (
    DeadLetter,
    Envelope,
    Header,
    MessageKind,
    TaskMessage,
    decode,
    encode,
    header_value,
    headers_for,
)
from kafkatask.serialization.signing import signer_of

if TYPE_CHECKING:
    from kafkatask.app import App

Status = Literal["dead", "replayed", "purged"]


class DlqAction(Envelope):
    """What was done to some dead letters (by offset)."""

    action: Literal["replayed", "purged"]
    offsets: list[int] = Field(min_length=1)
    ts: float = Field(default_factory=time.time)
    by: str = ""


@dataclass(frozen=True)
class DeadLetterEntry:
    offset: int
    letter: DeadLetter
    status: Status = "dead"

    @property
    def age(self) -> float:
        return time.time() - self.letter.dead_at


@dataclass(frozen=True)
class DlqFilter:
    """Which letters: by task name, error type, age (seconds), and status."""

    task: str | None = None
    error_type: str | None = None
    older_than: float | None = None
    newer_than: float | None = None
    status: Status | None = "dead"

    def __call__(self, entry: DeadLetterEntry) -> bool:
        letter = entry.letter
        return (
            (self.task is None or letter.task == self.task)
            and (self.error_type is None or letter.error.type == self.error_type)
            and (self.older_than is None or entry.age >= self.older_than)
            and (self.newer_than is None or entry.age <= self.newer_than)
            and (self.status is None or entry.status == self.status)
        )


class DeadLetterQueue:
    def __init__(self, app: App) -> None:
        self._app = app
        self._topic = app.topology.names.dlq
        self._signer = signer_of(app.settings)

    def entries(self, where: DlqFilter | None = None) -> list[DeadLetterEntry]:
        """The letters matching `where` (unresolved ones by default), oldest first."""
        chosen = where or DlqFilter()
        return [entry for entry in self._all_entries() if chosen(entry)]

    def _all_entries(self) -> list[DeadLetterEntry]:
        letters, actions = self._read()
        status: dict[int, Status] = {}
        for action in actions:
            for offset in action.offsets:
                status[offset] = action.action
        return [
            DeadLetterEntry(offset, letter, status.get(offset, "dead"))
            for offset, letter in letters
        ]

    def get(self, offset: int) -> DeadLetterEntry:
        for entry in self.entries(DlqFilter(status=None)):
            if entry.offset == offset:
                return entry
        raise KafkaTaskError(
            f"no dead letter at offset {offset} of {self._topic}; `kafkatask dlq list` shows them"
        )

    def replay(self, entries: Iterable[DeadLetterEntry], by: str = "") -> list[str]:
        """Send the original tasks again, with a fresh attempt count; returns their ids."""
        chosen = [entry for entry in entries if entry.status == "dead"]
        for entry in chosen:
            if entry.letter.reason == "unverified":
                raise KafkaTaskError(
                    f"dead letter {entry.offset} cannot be replayed: it was not signed with "
                    "this namespace's secret, and replaying would sign whatever it holds; "
                    "inspect it and send the task again yourself if it is genuine"
                )
        ids = []
        for entry in chosen:
            task = _original_task(entry)
            fresh = task.replace(
                retries=0, history=[], eta=None, expires_at=None, replays=task.replays + 1
            )
            key = base64.b64decode(entry.letter.original_key) if entry.letter.original_key else None
            self._app.connection.publish(fresh, key.decode(errors="replace") if key else None)
            ids.append(fresh.id)
        if chosen:
            self._mark("replayed", chosen, by)
        return ids

    def purge(self, entries: Iterable[DeadLetterEntry], by: str = "") -> int:
        """Mark letters purged and delete what Kafka can; returns how many were purged."""
        chosen = [entry for entry in entries if entry.status == "dead"]
        if not chosen:
            return 0
        self._mark("purged", chosen, by)
        self._delete_resolved_prefix()
        return len(chosen)

    # -- reading and writing the log -------------------------------------------------------

    def _read(self) -> tuple[list[tuple[int, DeadLetter]], list[DlqAction]]:
        settings = self._app.settings
        admin = TopicAdmin(
            common_config(settings, f"{self._app.name}-dlq"), settings.connect_timeout
        )
        if self._topic not in admin.partitions([self._topic]):
            return [], []  # no worker has run in this namespace yet
        group = f"{settings.namespace}.dlq-reader.{uuid.uuid4().hex}"
        consumer = Consumer(consumer_config(settings, f"{self._app.name}-dlq", group))
        letters: list[tuple[int, DeadLetter]] = []
        actions: list[DlqAction] = []
        try:
            partition = TopicPartition(self._topic, 0)
            low, end = patiently(
                lambda: consumer.get_watermark_offsets(partition, timeout=settings.connect_timeout),
                settings.connect_timeout,
            )
            if end <= low:
                return letters, actions
            consumer.assign([TopicPartition(self._topic, 0, OFFSET_BEGINNING)])
            deadline = time.monotonic() + settings.connect_timeout
            last = low - 1
            while last < end - 1 and time.monotonic() < deadline:
                for record in take(consumer, 1000, timeout=0.5):
                    if record.error() is not None or record.offset() is None:
                        continue
                    last = int(record.offset() or 0)
                    self._collect(record, letters, actions)
        finally:
            consumer.close()
        return letters, actions

    def _collect(
        self, record: Message, letters: list[tuple[int, DeadLetter]], actions: list[DlqAction]
    ) -> None:
        if self._signer is not None and self._signer.verify(record.headers(), record.value()):
            return  # with a secret, an unsigned letter or action was not written by kafkatask
        kind = header_value(record.headers(), Header.KIND)
        try:
            if kind == MessageKind.DLQ_ACTION:
                actions.append(decode(DlqAction, record.value(), record.headers()))
            else:
                letters.append(
                    (
                        int(record.offset() or 0),
                        decode(DeadLetter, record.value(), record.headers()),
                    )
                )
        except DecodeError:  # not ours; the dead-letter topic may hold anything
            return

    def _mark(
        self, action: Literal["replayed", "purged"], entries: list[DeadLetterEntry], by: str
    ) -> None:
        connection = self._app.connection
        record = DlqAction(action=action, offsets=[e.offset for e in entries], by=by)
        value = encode(record, connection.codec)
        headers = headers_for(MessageKind.DLQ_ACTION, connection.codec)
        if connection.signer is not None:
            headers = connection.signer.sign(headers, value)
        connection.producer.send(self._topic, value, headers=headers)
        connection.producer.flush(self._app.settings.delivery_timeout)

    def _delete_resolved_prefix(self) -> None:
        # One read for both: a letter that arrives between two reads must not be deleted.
        entries = self._all_entries()
        if not entries:
            return
        unresolved = [entry.offset for entry in entries if entry.status == "dead"]
        before = min(unresolved) if unresolved else entries[-1].offset + 1
        settings = self._app.settings
        admin = AdminClient(common_config(settings, f"{self._app.name}-dlq"))
        futures = admin.delete_records([TopicPartition(self._topic, 0, before)])
        for future in futures.values():
            future.result(timeout=settings.connect_timeout)


def _original_task(entry: DeadLetterEntry) -> TaskMessage:
    try:
        return decode(TaskMessage, *entry.letter.original_record())
    except DecodeError as error:
        raise KafkaTaskError(
            f"dead letter {entry.offset} cannot be replayed: its original record is not a valid "
            f"task ({error}); inspect it with `kafkatask dlq show {entry.offset}`"
        ) from None
