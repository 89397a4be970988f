"""The local broker launcher: bad situations give one clear line and leave nothing running."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from kafkatask.local_broker import BrokerStartError, LocalBroker
from kafkatask.local_broker.launcher import default_home
from tests.helpers import ROOT, free_port_pair


def _java_processes(workdir: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if str(workdir).encode() in cmdline and b"kafka.Kafka" in cmdline:
                found.append(int(entry.name))
    return found


@pytest.fixture
def shared_cache() -> Path:
    """The jars the session's broker already fetched, so these tests need no network."""
    return default_home() / "cache"


def test_port_taken_by_something_else(tmp_path, shared_cache):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        broker = LocalBroker(home=tmp_path, port=port, cache_dir=shared_cache)
        with pytest.raises(BrokerStartError, match=rf"port {port} on 127.0.0.1 is taken.*--port"):
            broker.start()
    assert _java_processes(tmp_path) == []


def test_port_taken_from_the_command_line_is_one_line_and_exit_1(tmp_path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "kafkatask",
                "broker",
                "start",
                "--port",
                str(port),
                "--home",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
            check=False,
            env={k: v for k, v in os.environ.items() if k != "KAFKATASK_BOOTSTRAP_SERVERS"},
        )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"kafkatask broker: port {port} on 127.0.0.1 is taken")


def test_java_missing(tmp_path, monkeypatch, shared_cache):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    broker = LocalBroker(home=tmp_path, port=free_port_pair(), cache_dir=shared_cache)
    with pytest.raises(BrokerStartError, match="Java is not on PATH; install a JDK >= 17"):
        broker.start()


def test_maven_missing_when_not_cached(tmp_path, monkeypatch):
    only_java = tmp_path / "bin"
    only_java.mkdir()
    (only_java / "java").symlink_to(shutil.which("java"))
    monkeypatch.setenv("PATH", str(only_java))
    broker = LocalBroker(home=tmp_path, port=free_port_pair())
    with pytest.raises(BrokerStartError, match=r"Maven \('mvn'\) is not on PATH.*install Maven"):
        broker.start()


def test_broker_that_does_not_come_up_in_time_is_killed(tmp_path, shared_cache):
    broker = LocalBroker(
        home=tmp_path, port=free_port_pair(), cache_dir=shared_cache, start_timeout=0.5
    )
    with pytest.raises(BrokerStartError, match=r"did not answer on .* within 0.5s; see .*log"):
        broker.start()
    assert _java_processes(tmp_path) == []
    assert broker.pid() is None


def test_start_reuses_stop_stops(tmp_path, shared_cache):
    broker = LocalBroker(home=tmp_path, port=free_port_pair(), cache_dir=shared_cache)
    assert broker.start() is True
    try:
        assert broker.answers()
        assert broker.start() is False  # already answering: reused, not started twice
        assert len(_java_processes(tmp_path)) == 1
    finally:
        assert broker.stop() is True
    assert _java_processes(tmp_path) == []
    assert not broker.answers()
    assert broker.stop() is False
