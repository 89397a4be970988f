"""Debian's redis-server for Celery: installed with apt-get when missing, run on a free
loopback port with no persistence (`--save '' --appendonly no`), stopped afterwards."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from benchmarks.processes import background

START_TIMEOUT = 10.0


class RedisUnavailableError(RuntimeError):
    """redis-server is not installed and cannot be installed here."""


@dataclass(frozen=True)
class RedisServer:
    url: str
    """`redis://127.0.0.1:PORT`, without a database number."""
    pid: int
    version: str


def installable() -> bool:
    """True when redis-server is there, or apt-get is there to install it."""
    return shutil.which("redis-server") is not None or shutil.which("apt-get") is not None


def ensure_installed() -> str:
    """The path of redis-server, installing Debian's package first when it is missing."""
    found = shutil.which("redis-server")
    if found is not None:
        return found
    apt = shutil.which("apt-get")
    if apt is None:
        raise RedisUnavailableError(
            "redis-server is not installed and there is no apt-get to install it: install "
            "Redis (6 or later) so that redis-server is on PATH"
        )
    print("installing Debian's redis-server for Celery's side", file=sys.stderr, flush=True)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for arguments in (["update", "-qq"], ["install", "-y", "-qq", "redis-server"]):
        subprocess.run([*sudo, apt, *arguments], env=env, check=True, stdout=subprocess.DEVNULL)
    found = shutil.which("redis-server")
    if found is None:
        raise RedisUnavailableError("apt-get installed redis-server, but it is not on PATH")
    return found


@contextlib.contextmanager
def running(logs: Path) -> Iterator[RedisServer]:
    """A redis-server of our own for the block, on a free port of 127.0.0.1."""
    binary = ensure_installed()
    port = free_port()
    command = [
        *(binary, "--port", str(port), "--bind", "127.0.0.1"),
        *("--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", str(logs)),
    ]
    with background(command, dict(os.environ), logs / "redis-server.log") as process:
        _wait_until_answers(port, process)
        yield RedisServer(f"redis://127.0.0.1:{port}", process.pid, _version(binary))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_answers(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1) as s:
            s.sendall(b"PING\r\n")
            if s.recv(64).startswith(b"+PONG"):
                return
        time.sleep(0.05)
    raise RedisUnavailableError(f"redis-server did not answer on port {port} (see its log)")


def _version(binary: str) -> str:
    version = [binary, "--version"]
    shown = subprocess.run(version, capture_output=True, text=True, check=False).stdout
    found = re.search(r"v=(\S+)", shown)
    return found.group(1) if found else shown.strip()
