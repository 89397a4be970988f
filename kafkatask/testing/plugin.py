"""pytest fixtures for testing kafkatask applications against a real Kafka broker.

Installed as a pytest plugin with the package. The session gets one broker: the one
`KAFKATASK_BOOTSTRAP_SERVERS` names, or a local single-node broker that the plugin starts (and
stops at the end, if it started it). Every test gets its own topic namespace, so tests never
read each other's messages.

    def test_add(kafkatask_app, kafkatask_worker):
        add = kafkatask_app.task(lambda x, y: x + y, name="add")
        kafkatask_worker(kafkatask_app)
        assert add.delay(2, 3).get(timeout=30) == 5
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from kafkatask.app import App
from kafkatask.local_broker import LocalBroker, broker_answers
from kafkatask.settings import Settings
from kafkatask.worker import Worker


@pytest.fixture(scope="session")
def kafka_bootstrap_servers() -> Iterator[str]:
    """The address of a real broker for the whole session, started here when needed."""
    configured = os.environ.get("KAFKATASK_BOOTSTRAP_SERVERS", "").strip()
    if configured:
        if not broker_answers(configured, timeout=10.0):
            pytest.fail(
                f"KAFKATASK_BOOTSTRAP_SERVERS={configured} does not answer; start that broker "
                "or unset the variable to let the tests start a local one"
            )
        yield configured
        return
    broker = LocalBroker(port=int(os.environ.get("KAFKATASK_TEST_BROKER_PORT", "9092")))
    started = broker.start()
    try:
        yield broker.bootstrap
    finally:
        if started:
            broker.stop()


@pytest.fixture
def kafkatask_namespace(
    request: pytest.FixtureRequest, kafka_bootstrap_servers: str
) -> Iterator[str]:
    """A topic namespace of this test's own; its topics are deleted after the test."""
    name = re.sub(r"[^A-Za-z0-9]+", "-", request.node.name)[:40].strip("-")
    namespace = f"t-{name}-{uuid.uuid4().hex[:8]}"
    yield namespace
    delete_namespace(kafka_bootstrap_servers, namespace)


def delete_namespace(bootstrap: str, namespace: str) -> None:
    """Delete every topic of `namespace` (best effort), for fixtures that make their own."""
    # Thousands of leftover test topics would slow every metadata request of the session.
    admin = AdminClient({"bootstrap.servers": bootstrap})
    try:
        topics = [t for t in admin.list_topics(timeout=10).topics if t.startswith(f"{namespace}.")]
        if topics:
            admin.delete_topics(topics, request_timeout=10)
    except KafkaException:  # cleanup is best effort
        pass


def small_settings(bootstrap_servers: str, namespace: str) -> Settings:
    """Settings for tests: this broker and namespace, small topics, quick timeouts."""
    return Settings(
        bootstrap_servers=bootstrap_servers,
        namespace=namespace,
        task_partitions=4,
        result_partitions=2,
        stream_partitions=2,
        event_partitions=1,
        session_timeout_ms=6000,
        shutdown_grace=10.0,
        rebalance_grace=5.0,
    )


@pytest.fixture
def kafkatask_settings(kafka_bootstrap_servers: str, kafkatask_namespace: str) -> Settings:
    """Settings for this test: its broker and namespace, small topics, quick timeouts."""
    return small_settings(kafka_bootstrap_servers, kafkatask_namespace)


@pytest.fixture
def kafkatask_app(kafkatask_settings: Settings) -> Iterator[App]:
    """An App on this test's namespace, closed after the test."""
    app = App("tests", settings=kafkatask_settings)
    yield app
    app.close()


@pytest.fixture
def kafkatask_worker() -> Iterator[Callable[..., Worker]]:
    """Start workers on background threads: `kafkatask_worker(app, concurrency=4)`."""
    workers: list[Worker] = []

    def start(app: App, **options: Any) -> Worker:
        worker = Worker(app, **options)
        worker.start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()
    for worker in workers:
        worker.join(timeout=30)
