"""The broker the session uses is a real Kafka broker: produce and consume through it."""

from __future__ import annotations

import uuid

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic


def test_produce_and_consume_round_trip(kafka_bootstrap_servers, kafkatask_namespace):
    # Given a fresh topic in this test's namespace
    topic = f"{kafkatask_namespace}.wiring"
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap_servers})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(timeout=30)
    payloads = [f"message-{i}-{uuid.uuid4()}".encode() for i in range(10)]

    # When records are produced and acknowledged by the broker
    producer = Producer({"bootstrap.servers": kafka_bootstrap_servers})
    for payload in payloads:
        producer.produce(topic, payload)
    assert producer.flush(30) == 0

    # Then a consumer reads exactly those records back, in order
    consumer = Consumer(
        {
            "bootstrap.servers": kafka_bootstrap_servers,
            "group.id": f"{kafkatask_namespace}.wiring",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    received: list[bytes] = []
    try:
        while len(received) < len(payloads):
            record = consumer.poll(30)
            assert record is not None, f"only {len(received)} of {len(payloads)} records arrived"
            assert record.error() is None
            received.append(record.value())
    finally:
        consumer.close()
    assert received == payloads


def test_each_test_gets_its_own_namespace(kafkatask_namespace, request):
    assert kafkatask_namespace.startswith("t-")
    assert request.node.name.replace("_", "-")[:20] in kafkatask_namespace
