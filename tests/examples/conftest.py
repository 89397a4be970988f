"""Fixtures of the examples' tests: a topic namespace per module on the session's broker."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kafkatask.settings import Settings
from kafkatask.testing.plugin import delete_namespace, small_settings


@pytest.fixture(scope="module")
def module_settings(
    request: pytest.FixtureRequest, kafka_bootstrap_servers: str
) -> Iterator[Settings]:
    name = request.module.__name__.rsplit(".", 1)[-1].replace("_", "-")[:30]
    namespace = f"x-{name}-{uuid.uuid4().hex[:8]}"
    yield small_settings(kafka_bootstrap_servers, namespace)
    delete_namespace(kafka_bootstrap_servers, namespace)


@pytest.fixture(scope="module")
def example_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("example-logs")
