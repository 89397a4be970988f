"""RetryPublisher: the next attempt of a failed task, parked in a delay topic until it is due."""

from __future__ import annotations

import time
from collections.abc import Callable

from kafkatask.delays import delayed_topic
from kafkatask.kafka import TopicNames
from kafkatask.protocol import Attempt, ErrorInfo, MessageKind, TaskMessage, encode, headers_for
from kafkatask.serialization import Codec
from kafkatask.worker.job import Job
from kafkatask.worker.outbox import Outbox


class RetryPublisher:
    def __init__(self, outbox: Outbox, codec: Codec, names: TopicNames, worker_id: str) -> None:
        self._outbox = outbox
        self._codec = codec
        self._names = names
        self._worker_id = worker_id

    def publish(
        self, job: Job, countdown: float, error: ErrorInfo, on_acked: Callable[[], None]
    ) -> TaskMessage:
        """Send the next attempt of `job`, due in `countdown` seconds; returns it."""
        now = time.time()
        attempt = Attempt(retries=job.message.retries, worker=self._worker_id, error=error, at=now)
        retry = job.message.replace(
            retries=job.message.retries + 1,
            eta=now + countdown,
            history=[*job.message.history, attempt],
        )
        self._outbox.send(
            delayed_topic(self._names, retry, now),
            encode(retry, self._codec),
            key=job.record.key,
            headers=headers_for(MessageKind.TASK, self._codec, retry.task, retry.id),
            on_acked=on_acked,
            what=f"retry {retry.retries} of {job.label()}",
        )
        return retry
