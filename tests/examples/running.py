"""Run an example's run.sh as a user would, against the test's broker and namespace."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kafkatask.settings import Settings
from tests.helpers import ROOT, free_port, settings_env


@dataclass
class Run:
    """A run.sh running: its output so far, and the ports it serves on."""

    process: subprocess.Popen[str]
    ports: dict[str, int]
    lines: list[str] = field(default_factory=list)

    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for_line(self, start: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not any(line.startswith(start) for line in self.lines):
            if self.process.poll() is not None and not self._reading.is_alive():
                raise AssertionError(f"run.sh exited {self.process.returncode}:\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no line {start!r} within {timeout}s:\n{self.output()}")
            time.sleep(0.05)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def close(self) -> None:
        """Read what is left of the output, and close the pipe."""
        self._reading.join(10)
        assert self.process.stdout is not None
        self.process.stdout.close()

    def __post_init__(self) -> None:
        self._reading = threading.Thread(target=self._read, daemon=True)
        self._reading.start()


@contextmanager
def run_example(
    script: str, settings: Settings, logs: Path, *ports: str, env: dict[str, str] | None = None
) -> Iterator[Run]:
    """Start `script` (it holds until stopped); SIGTERM it, and check it cleaned up, at the end."""
    chosen = {name: free_port() for name in ports}
    environment = {
        **settings_env(settings),
        **{name: str(port) for name, port in chosen.items()},
        "EXAMPLE_LOGS": str(logs),
        "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
        **(env or {}),
    }
    process = subprocess.Popen(
        ["bash", script],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, to find strays after it exits
    )
    run = Run(process, chosen)
    try:
        yield run
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        finally:
            _kill_strays(process.pid)
            run.close()


def _kill_strays(group: int) -> None:
    """Every process of run.sh's group must have exited with it; kill (and report) any left."""
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return
    os.killpg(group, signal.SIGKILL)
    raise AssertionError("run.sh left processes running after it exited")
