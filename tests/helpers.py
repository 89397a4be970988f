"""Small helpers shared by tests: waiting on a condition, worker processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from kafkatask.settings import Settings

ROOT = Path(__file__).resolve().parents[1]

CHROMIUM = "/usr/bin/chromium"
"""Debian's Chromium, which the browser tests drive through Playwright (scripts/test installs
it; Playwright never downloads a browser)."""
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `condition` until it holds; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


def settings_env(settings: Settings) -> dict[str, str]:
    """Environment variables that give a worker process the same settings as `settings`."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for field in (
        "bootstrap_servers",
        "namespace",
        "task_partitions",
        "result_partitions",
        "stream_partitions",
        "event_partitions",
        "session_timeout_ms",
        "shutdown_grace",
        "rebalance_grace",
    ):
        env[f"KAFKATASK_{field.upper()}"] = str(getattr(settings, field))
    return env


def run_kafkatask(
    settings: Settings, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m kafkatask ARGS` with `settings` in its environment; the exit code is the
    caller's to check."""
    return subprocess.run(
        [sys.executable, "-m", "kafkatask", *args],
        env=settings_env(settings),
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def spawn_worker(
    settings: Settings,
    app: str,
    *args: str,
    log: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """`kafkatask worker -A app ...` as a child process with the test's settings."""
    command = [sys.executable, "-m", "kafkatask", "worker", "-A", app, *args]
    environment = {**settings_env(settings), **(env or {})}
    if log is None:
        return subprocess.Popen(command, env=environment, cwd=ROOT)
    with log.open("ab") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            command, env=environment, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT
        )


def free_port() -> int:
    """A loopback port nothing listens on (for a server a test starts)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL when the process has not exited within 30 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def free_port_pair() -> int:
    """A port P with P and P+1 free, below Linux's ephemeral range (32768-60999).

    A broker restarted on an ephemeral port can find it taken as the source port of one of
    its own clients' reconnection attempts.
    """
    import random
    import socket

    for _ in range(200):
        port = random.randrange(20_000, 30_000)
        try:
            for candidate in (port, port + 1):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port pair between 20000 and 30000")


@contextmanager
def chromium_page() -> Iterator[Any]:
    """A page of Debian's headless Chromium, with its console errors and uncaught exceptions
    gathered in `page.problems` (a test asserts there are none)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        page.set_default_timeout(30_000)
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.problems = problems
        try:
            yield page
        finally:
            browser.close()
