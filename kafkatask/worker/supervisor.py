"""Supervisor: N worker processes under one parent (`kafkatask worker --processes N`).

One Python process runs its tasks under one GIL, so a worker uses one core however many tasks it
runs at once. The supervisor starts N worker processes of the same command, each a member of the
queue set's consumer group (so they share its partitions like workers on separate machines),
and looks after them:

- SIGTERM and SIGINT are forwarded to every child, which finishes its running tasks and commits
  (a second signal kills them all at once);
- a child that dies (a crash, a signal, the OOM killer) is started again, after a backoff that
  grows while it keeps dying young; a child that exits by itself within its first seconds (an
  app that cannot be imported, a broker it gave up on) stops them all, with its exit code;
- with `--metrics-port`, the supervisor serves one /metrics for all of them: each child serves
  its own on a loopback port, and the supervisor merges them with a `process` label.
"""

from __future__ import annotations

import logging
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType

_log = logging.getLogger("kafkatask.worker")

YOUNG = 10.0
"""A child that exits by itself sooner than this after starting failed to start."""
BACKOFF = (1.0, 30.0)
"""The first and the longest wait before starting a child that died again."""
STOP_PATIENCE = 30.0
"""How long children get after the grace period before they are killed on stop."""


@dataclass
class Child:
    index: int
    command: list[str]
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    backoff: float = BACKOFF[0]
    due: float = 0.0
    """When to start it again, after it died."""
    metrics_port: int | None = None
    restarts: int = 0


@dataclass
class Supervisor:
    """Starts `processes` children made by `command(index, metrics_port)` and keeps them up.

    Args:
        processes: how many children.
        command: the argv of child `index` (0-based), given the loopback port its metrics must
            listen on (None without metrics).
        metrics: whether the children serve metrics (the supervisor merges them).
        grace: the children's shutdown grace; stop waits this much longer before killing.
    """

    processes: int
    command: Callable[[int, int | None], list[str]]
    metrics: bool = False
    grace: float = 30.0
    children: list[Child] = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _signals: int = 0
    _failure: int | None = None

    def run(self) -> int:
        """Run until stopped (a signal, or a child that could not start); the exit code."""
        self._install_signal_handlers()
        for index in range(self.processes):
            port = _free_port() if self.metrics else None
            self.children.append(Child(index, self.command(index, port), metrics_port=port))
        for child in self.children:
            self._start(child)
        while not self._stopping.wait(0.2):
            self._look_after()
        self._stop_children()
        return self._failure or 0

    def metrics_ports(self) -> list[tuple[int, int]]:
        """(child index, metrics port) of the children running now."""
        return [
            (child.index, child.metrics_port)
            for child in self.children
            if child.metrics_port is not None and _alive(child)
        ]

    def stop(self) -> None:
        self._stopping.set()

    # -- children ----------------------------------------------------------------------

    def _start(self, child: Child) -> None:
        child.process = subprocess.Popen(child.command)
        child.started = time.monotonic()
        _log.info("started worker process %d (pid %d)", child.index, child.process.pid)

    def _look_after(self) -> None:
        now = time.monotonic()
        for child in self.children:
            process = child.process
            if process is None:
                if now >= child.due:
                    self._start(child)
                continue
            code = process.poll()
            if code is None:
                if now - child.started > 60.0:
                    child.backoff = BACKOFF[0]  # it lived long: start the next death afresh
                continue
            self._died(child, code, now)

    def _died(self, child: Child, code: int, now: float) -> None:
        lived = now - child.started
        child.process = None
        if code >= 0 and lived < YOUNG:
            _log.error(
                "worker process %d exited with code %d %.1fs after it started: stopping all "
                "(see its output above)",
                child.index,
                code,
                lived,
            )
            self._failure = code or 1
            self._stopping.set()
            return
        how = f"killed by {_signal_name(-code)}" if code < 0 else f"exited with code {code}"
        _log.warning(
            "worker process %d %s after %.0fs; starting it again in %.0fs",
            child.index,
            how,
            lived,
            child.backoff,
        )
        child.due = now + child.backoff
        child.backoff = min(child.backoff * 2, BACKOFF[1])
        child.restarts += 1

    def _stop_children(self) -> None:
        running = [c.process for c in self.children if c.process is not None]
        for process in running:
            _signal(process, signal.SIGTERM)
        deadline = time.monotonic() + self.grace + STOP_PATIENCE
        for process in running:
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _log.warning("worker process %d did not stop: killing it", process.pid)
                process.kill()
                process.wait()

    # -- signals -----------------------------------------------------------------------

    def _install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._signals += 1
        if self._signals > 1:
            _log.warning("second signal: killing every worker process")
            for child in self.children:
                if child.process is not None:
                    _signal(child.process, signal.SIGKILL)
            self._failure = 1
        else:
            _log.warning(
                "%s: every worker process finishes its running tasks, then stops",
                signal.Signals(signum).name,
            )
        self._stopping.set()


def _alive(child: Child) -> bool:
    return child.process is not None and child.process.poll() is None


def _signal(process: subprocess.Popen[bytes], signum: int) -> None:
    if process.poll() is None:
        process.send_signal(signum)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
