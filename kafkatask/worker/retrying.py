"""RetryPublisher: the next attempt of a failed task, parked in a delay topic until it is due."""

from __future__ import annotations

import time
from collections.abc import Callable

from confluent_kafka import KafkaError

from kafkatask.delays import delayed_topic
from kafkatask.exceptions import PublishError
from kafkatask.kafka import TopicNames
from kafkatask.protocol import Attempt, ErrorInfo, MessageKind, TaskMessage, encode, headers_for
from kafkatask.remote_errors import describe
from kafkatask.serialization import Codec
from kafkatask.worker.dead_letters import DeadLetterWriter
from kafkatask.worker.job import Job
from kafkatask.worker.outbox import Outbox


class RetryPublisher:
    def __init__(
        self,
        outbox: Outbox,
        codec: Codec,
        names: TopicNames,
        worker_id: str,
        dead_letters: DeadLetterWriter,
    ) -> None:
        self._dead_letters = dead_letters
        self._outbox = outbox
        self._codec = codec
        self._names = names
        self._worker_id = worker_id

    def next_attempt(self, job: Job, countdown: float, error: ErrorInfo) -> TaskMessage:
        """The request of `job`'s next attempt, due in `countdown` seconds, with this one in its
        history."""
        now = time.time()
        attempt = Attempt(retries=job.message.retries, worker=self._worker_id, error=error, at=now)
        return job.message.replace(
            retries=job.message.retries + 1,
            eta=now + countdown,
            history=[*job.message.history, attempt],
        )

    def publish(
        self, job: Job, countdown: float, error: ErrorInfo, on_acked: Callable[[], None]
    ) -> TaskMessage:
        """Send the next attempt of `job`, due in `countdown` seconds; returns it."""
        retry = self.next_attempt(job, countdown, error)
        attempt = retry.history[-1]
        destination = delayed_topic(self._names, retry, time.time())

        def undeliverable(failure: KafkaError) -> None:
            problem = PublishError(f"could not deliver to {destination}: {failure.str()}")
            self._dead_letters.write(
                job.record,
                reason="undeliverable",
                error=describe(problem),
                message=job.message,
                attempts=[*job.message.history, attempt],
                on_acked=on_acked,
            )

        self._outbox.send(
            destination,
            encode(retry, self._codec),
            key=job.record.key,
            headers=headers_for(MessageKind.TASK, self._codec, retry.task, retry.id),
            on_acked=on_acked,
            on_failed=undeliverable,
            what=f"retry {retry.retries} of {job.label()}",
        )
        return retry
