"""Shared fixtures: the kafkatask pytest plugin provides the broker and per-test namespaces."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kafkatask import App
from kafkatask.settings import Settings
from kafkatask.worker import Worker


@pytest.fixture
def settings(kafkatask_settings: Settings) -> Settings:
    return kafkatask_settings


@pytest.fixture
def app(kafkatask_app: App) -> App:
    return kafkatask_app


@pytest.fixture
def start_worker(kafkatask_worker: Callable[..., Worker]) -> Callable[..., Worker]:
    return kafkatask_worker
