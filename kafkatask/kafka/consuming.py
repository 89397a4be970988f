"""Reading records without paying librdkafka's batch wait."""

from __future__ import annotations

from confluent_kafka import Consumer, Message


def take(consumer: Consumer, limit: int, timeout: float) -> list[Message]:
    """Up to `limit` records: waits up to `timeout` for the first, never for the rest.

    `Consumer.consume(n, timeout)` waits until it has n records or the timeout passes, which
    would put the whole timeout on the latency of a single request.
    """
    first = consumer.poll(timeout)
    if first is None:
        return []
    if limit <= 1:
        return [first]
    return [first, *consumer.consume(limit - 1, timeout=0)]


def position(record: Message) -> tuple[str, int, int]:
    """(topic, partition, offset) of a consumed record, which always has all three."""
    topic, partition, offset = record.topic(), record.partition(), record.offset()
    if topic is None or partition is None or offset is None:
        raise ValueError("a consumed record has no topic, partition or offset")
    return topic, partition, offset
