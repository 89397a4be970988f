"""Delay topics: where a task waits until it is due (retries with backoff, countdown, eta).

Each bucket topic `<ns>.retry.<label>` holds records that become due `seconds` after they were
written. A record due later than its bucket's delay goes round again through the largest bucket
that fits what remains, so any delay is a few hops, and the waiting is done by Kafka, not by a
worker's memory: a restart loses nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from kafkatask.kafka.topics import TopicNames
from kafkatask.protocol import TaskMessage


@dataclass(frozen=True)
class DelayBucket:
    label: str
    seconds: float


BUCKETS: tuple[DelayBucket, ...] = (
    DelayBucket("1s", 1),
    DelayBucket("5s", 5),
    DelayBucket("30s", 30),
    DelayBucket("2m", 120),
    DelayBucket("10m", 600),
    DelayBucket("1h", 3600),
)

TOLERANCE = 0.05
"""A task this close to its due time is released at once."""


def bucket_for(remaining: float) -> DelayBucket | None:
    """The largest bucket not longer than `remaining` seconds; None when under the smallest."""
    fitting = [bucket for bucket in BUCKETS if bucket.seconds <= remaining + TOLERANCE]
    return fitting[-1] if fitting else None


def bucket_named(label: str) -> DelayBucket | None:
    return next((bucket for bucket in BUCKETS if bucket.label == label), None)


def delayed_topic(names: TopicNames, message: TaskMessage, now: float | None = None) -> str:
    """Where a request goes next: its queue when due, else the delay bucket that fits."""
    remaining = (message.eta or 0.0) - (time.time() if now is None else now)
    bucket = bucket_for(remaining) if remaining > TOLERANCE else None
    return names.retry(bucket.label) if bucket else names.tasks(message.queue)
