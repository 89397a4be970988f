"""Making sure a measurement's new topics are usable before its worker starts.

A new topic's partitions appear in the metadata, leader included, a moment before that leader
serves them: until then a ListOffsets request fails with NOT_LEADER_FOR_PARTITION. kafkatask's
client and worker query offsets right after creating their topics and can fail on exactly that
(see docs/benchmarks.md), so the benchmark creates the topics itself and waits for every
partition to answer first.
"""

from __future__ import annotations

import time
from typing import Any

from confluent_kafka import Consumer, KafkaException, TopicPartition

READY_TIMEOUT = 30.0


def wait_until_readable(config: dict[str, Any], partitions: dict[str, int]) -> None:
    """Wait until every partition of `partitions` (topic: count) answers a ListOffsets."""
    consumer = Consumer({**config, "group.id": "benchmarks.readiness"})
    deadline = time.monotonic() + READY_TIMEOUT
    try:
        for topic, count in partitions.items():
            for partition in range(count):
                _answer(consumer, TopicPartition(topic, partition), deadline)
    finally:
        consumer.close()


def _answer(consumer: Consumer, tp: TopicPartition, deadline: float) -> None:
    while True:
        try:
            consumer.get_watermark_offsets(tp, timeout=max(0.1, deadline - time.monotonic()))
            return
        except KafkaException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
