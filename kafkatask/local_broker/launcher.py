"""Start, reuse and stop a single-node KRaft broker on loopback."""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from confluent_kafka.admin import AdminClient

from kafkatask.local_broker.artifacts import DEFAULT_KAFKA_VERSION, KafkaArtifacts
from kafkatask.local_broker.errors import BrokerStartError
from kafkatask.local_broker.properties import log4j2_properties, server_properties

_MIN_JAVA = 17
_STOP_TIMEOUT = 30.0

# Brokers this process started: a background broker outlives its LocalBroker object, and a
# Popen collected while its process runs would complain about it.
_children: dict[int, subprocess.Popen[bytes]] = {}

# librdkafka logs every refused connection; while probing for a broker that is expected to be
# absent those lines are noise.
_quiet = logging.getLogger("kafkatask.local_broker.probe")
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False


def default_home() -> Path:
    """Where the launcher keeps Kafka's jars, storage and logs (git-ignored in this repo)."""
    return Path(os.environ.get("KAFKATASK_HOME", ".kafkatask")).resolve()


def broker_answers(bootstrap: str, timeout: float = 1.0) -> bool:
    """True when a Kafka broker at `bootstrap` answers a metadata request within `timeout`."""
    config: dict[str, Any] = {
        "bootstrap.servers": bootstrap,
        "socket.connection.setup.timeout.ms": max(1000, int(timeout * 1000)),
        "logger": _quiet,
    }
    admin = AdminClient(config)
    try:
        admin.list_topics(timeout=timeout)
    except Exception:  # any failure means "not answering"; the caller decides what to do
        return False
    return True


@dataclass
class LocalBroker:
    """One broker+controller KRaft node on `host:port`, its files under `home/broker-<port>`."""

    home: Path = field(default_factory=default_home)
    host: str = "127.0.0.1"
    port: int = 9092
    controller_port: int | None = None
    version: str = DEFAULT_KAFKA_VERSION
    heap: str = "512m"
    start_timeout: float = 60.0
    cache_dir: Path | None = None
    """Where Kafka's jars are cached [home/cache]."""

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def workdir(self) -> Path:
        return self.home / f"broker-{self.port}"

    @property
    def log_file(self) -> Path:
        return self.workdir / "broker.log"

    @property
    def _pid_file(self) -> Path:
        return self.workdir / "broker.pid"

    @property
    def _controller_port(self) -> int:
        return self.controller_port or self.port + 1

    @property
    def artifacts(self) -> KafkaArtifacts:
        return KafkaArtifacts(self.cache_dir or self.home / "cache", self.version)

    def answers(self, timeout: float = 1.0) -> bool:
        return broker_answers(self.bootstrap, timeout)

    def start(self) -> bool:
        """Start the broker and wait until it answers; False when one already answers here."""
        if self.answers():
            return False
        java = _find_java()
        for port in (self.port, self._controller_port):
            _require_free_port(self.host, port)
        libs = self.artifacts.ensure()
        self._write_config()
        self._format_storage(java, libs)
        process = self._spawn(java)
        try:
            self._wait_until_ready(process)
        except BaseException:
            _terminate(process.pid, grace=5.0)
            self._pid_file.unlink(missing_ok=True)
            raise
        return True

    def stop(self) -> bool:
        """Stop the broker this launcher started here; False when there was none."""
        pid = self.pid()
        if pid is None:
            return False
        _terminate(pid, grace=_STOP_TIMEOUT)
        self._pid_file.unlink(missing_ok=True)
        return True

    def pid(self) -> int | None:
        """The pid of the running broker this launcher started, if any."""
        try:
            pid = int(self._pid_file.read_text())
        except (FileNotFoundError, ValueError):
            return None
        if not _is_our_broker(pid, self.workdir):
            self._pid_file.unlink(missing_ok=True)
            return None
        return pid

    def _write_config(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        data = self.workdir / "data"
        config = server_properties(self.host, self.port, self._controller_port, data)
        (self.workdir / "server.properties").write_text(config)
        (self.workdir / "log4j2.properties").write_text(log4j2_properties())

    def _jvm(self, java: str, libs: Path) -> list[str]:
        return [
            java,
            "-Xms128m",
            f"-Xmx{self.heap}",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.workdir / 'log4j2.properties'}",
            "-cp",
            str(libs / "*"),
        ]

    def _format_storage(self, java: str, libs: Path) -> None:
        if (self.workdir / "data" / "meta.properties").exists():
            return
        cluster_id = new_cluster_id()
        command = [
            *self._jvm(java, libs),
            "kafka.tools.StorageTool",
            "format",
            "--cluster-id",
            cluster_id,
            "--config",
            str(self.workdir / "server.properties"),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            last = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["no output"]
            raise BrokerStartError(
                f"formatting the KRaft storage in {self.workdir / 'data'} failed: {last[0]}; "
                f"delete {self.workdir} and start again"
            )

    def _spawn(self, java: str) -> subprocess.Popen[bytes]:
        libs = self.artifacts.libs_dir
        command = [*self._jvm(java, libs), "kafka.Kafka", str(self.workdir / "server.properties")]
        with self.log_file.open("ab") as log:
            # A session of its own: Ctrl-C in the shell that ran `broker start` must not reach
            # a broker meant to outlive it; `broker run` forwards signals itself.
            process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._pid_file.write_text(str(process.pid))
        _children[process.pid] = process
        return process

    def _wait_until_ready(self, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise BrokerStartError(
                    f"the Kafka broker exited with code {process.returncode} while starting; "
                    f"see {self.log_file}"
                )
            if self.answers(timeout=1.0):
                return
            time.sleep(0.2)
        raise BrokerStartError(
            f"the Kafka broker did not answer on {self.bootstrap} within "
            f"{self.start_timeout:g}s; see {self.log_file}"
        )


def _find_java() -> str:
    java = shutil.which("java")
    if java is None:
        raise BrokerStartError(
            "Java is not on PATH; install a JDK >= 17 (e.g. 'apt-get install "
            "openjdk-17-jre-headless') or set KAFKATASK_BOOTSTRAP_SERVERS to a running broker"
        )
    done = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    match = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    major = int(match.group(1)) if match else 0
    if major == 1 and match and match.group(2):  # "1.8.0_x" style
        major = int(match.group(2))
    if major < _MIN_JAVA:
        raise BrokerStartError(
            f"Kafka's broker needs Java >= {_MIN_JAVA} but '{java}' is Java {major or 'unknown'}; "
            "install a newer JDK or put it first on PATH"
        )
    return java


def _require_free_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise BrokerStartError(
                f"port {port} on {host} is taken by a process that is not a Kafka broker "
                f"({error.strerror}); free it or choose another port with --port"
            ) from None


def _is_our_broker(pid: int, workdir: Path) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    config = str(workdir / "server.properties").encode()
    return b"kafka.Kafka" in cmdline and config in cmdline


def _terminate(pid: int, grace: float) -> None:
    """SIGTERM the broker's process group (a controlled shutdown), SIGKILL after `grace`."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    while _alive(pid):
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        del _children[pid]
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError):
        return state.read_text().split(") ", 1)[1][0] != "Z"
    return False


def new_cluster_id() -> str:
    """A random KRaft cluster id (22 base64url characters), never starting with "-".

    kafka-storage would read a leading "-" as an option (one random id in 64), as Kafka's own
    Uuid.randomUuid() avoids for the same reason.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id
