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
    offsets = [TopicPartition(t, p, offset) for (t, p), offset in positions.items()]
    try:
        if sync:
            consumer.commit(offsets=offsets, asynchronous=False)
        else:
            consumer.commit(offsets=offsets, asynchronous=True)
    except KafkaException as error:
        described = ", ".join(f"{t}[{p}]@{o}" for (t, p), o in positions.items())
        _log.warning("commit of %s failed: %s", described, error)
        return False
    tracker.committed(positions)
    return True
