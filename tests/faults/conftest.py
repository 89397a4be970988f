"""Fixtures for the fault tests: worker processes, execution counts, and the figures log."""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from subprocess import Popen
from typing import Any

import pytest

from kafkatask import App
from tests.helpers import ROOT, spawn_worker

FIGURES = Path(
    os.environ.get("KAFKATASK_RELIABILITY_LOG", ROOT / ".kafkatask" / "reliability.jsonl")
)
_RAN = re.compile(r"Task (?P<name>\S+)\[(?P<id>[^\]]+)\] (?P<how>succeeded|failed|raised)")


class Workers:
    """Worker processes of one fault test, each logging to its own file."""

    def __init__(self, settings, tmp_path: Path) -> None:
        self._settings = settings
        self._tmp = tmp_path
        self.processes: dict[str, Popen[bytes]] = {}

    def start(
        self,
        name: str,
        *args: str,
        env: dict[str, str] | None = None,
        app: str = "tests.apps.fault_app",
    ) -> Popen[bytes]:
        process = spawn_worker(
            self._settings, app, "-n", name, *args, log=self._tmp / f"{name}.log", env=env
        )
        self.processes[name] = process
        return process

    def log(self, name: str) -> str:
        path = self._tmp / f"{name}.log"
        return path.read_text() if path.exists() else ""

    def executions(self) -> Counter[str]:
        """How many times each task id ran to an outcome, over every worker's log."""
        counts: Counter[str] = Counter()
        for name in self.processes:
            for match in _RAN.finditer(self.log(name)):
                counts[match["id"]] += 1
        return counts

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(30)
            except Exception:
                process.kill()


@pytest.fixture
def workers(settings, tmp_path) -> Iterator[Workers]:
    pool = Workers(settings, tmp_path)
    yield pool
    pool.stop_all()


@pytest.fixture
def client(settings) -> Iterator[App]:
    app = App("fault-client", settings=settings)
    yield app
    app.close()


@pytest.fixture
def record_figures(request) -> Callable[..., None]:
    """Append this run's figures to the reliability log (docs/reliability.md is made from it)."""
    began = time.monotonic()

    def record(**figures: Any) -> None:
        FIGURES.parent.mkdir(parents=True, exist_ok=True)
        entry = {
            "test": request.node.name,
            "when": time.strftime("%Y-%m-%d %H:%M:%S"),
            "seconds": round(time.monotonic() - began, 1),
            **figures,
        }
        with FIGURES.open("a") as log:
            log.write(json.dumps(entry) + "\n")

    return record
