"""PartitionReader: one partition read from an offset, by a consumer of its own."""

from __future__ import annotations

from typing import Any

from confluent_kafka import Consumer, Message, TopicPartition

from kafkatask.kafka.consuming import take


class PartitionReader:
    """Reads one partition from `offset` on, by assignment: it joins no group and commits
    nothing, so any number of readers can read the same records (replays of a stream or of a
    result, by any process).

    `config` is a consumer configuration whose `group.id` is the caller's throw-away one
    (librdkafka requires a group id even for assigned partitions).
    """

    def __init__(self, config: dict[str, Any], topic: str, partition: int, offset: int) -> None:
        self._consumer = Consumer(config)
        self._consumer.assign([TopicPartition(topic, partition, offset)])

    def take(self, timeout: float) -> list[Message]:
        """The next records (at most 500), or none once `timeout` seconds pass without one.

        Records that carry an error (a broker-side problem, not data) are left out.
        """
        return [record for record in take(self._consumer, 500, timeout) if record.error() is None]

    def close(self) -> None:
        self._consumer.close()
