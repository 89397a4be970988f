"""Committing what an OffsetTracker says is done, for the worker and its delay scheduler."""

from __future__ import annotations

import logging

from confluent_kafka import Consumer, KafkaException, TopicPartition

from kafkatask.worker.offsets import OffsetTracker, TopicPartitionKey

_log = logging.getLogger("kafkatask.worker")


def commit_done(
    consumer: Consumer,
    tracker: OffsetTracker,
    *,
    sync: bool,
    partitions: list[TopicPartitionKey] | None = None,
) -> bool:
    """Commit the positions that moved (of these partitions, or all); False when that failed.

    A failed commit is not fatal: the position is committed again next time, and until then a
    crash only means re-running what is already done (at-least-once).
    """
    positions = tracker.uncommitted(partitions)
    if not positions:
        return True
    if not commit_positions(consumer, positions, sync=sync):
        return False
    tracker.committed(positions)
    if sync:
        tracker.confirmed(positions)  # an asynchronous one is confirmed to `on_commit`
    return True


def commit_positions(
    consumer: Consumer, positions: dict[TopicPartitionKey, int], *, sync: bool
) -> bool:
    """Commit exactly these positions; False (logged) when the broker refused any of them.

    An asynchronous commit's failure is reported later, to the consumer's `on_commit`.
    """
    offsets = [TopicPartition(t, p, offset) for (t, p), offset in positions.items()]
    try:
        if not sync:
            consumer.commit(offsets=offsets, asynchronous=True)
            return True
        answered = consumer.commit(offsets=offsets, asynchronous=False) or []
        refused = next((p.error for p in answered if p.error is not None), None)
        if refused is not None:
            raise KafkaException(refused)
    except KafkaException as error:
        described = ", ".join(f"{t}[{p}]@{o}" for (t, p), o in positions.items())
        _log.warning("commit of %s failed: %s", described, error.args[0])
        return False
    return True
