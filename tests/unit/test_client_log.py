"""ClientLog: a broker outage is one line, a summary per interval, and one line when it is back.

The lines fed in are librdkafka's own, as confluent-kafka hands them to a logger.
"""

from __future__ import annotations

import logging
import socket

import pytest

from kafkatask.kafka.client_log import ClientLog
from tests.helpers import wait_for


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _refused(port: int, client: str = "rdkafka#producer-1") -> tuple[int, str, str, str, str]:
    address = f"127.0.0.1:{port}"
    line = (
        f"[thrd:{address}/bootstrap]: {address}/bootstrap: Connect to ipv4#{address} failed: "
        "Connection refused (after 0ms in state CONNECT)"
    )
    return logging.ERROR, "%s [%s] %s", "FAIL", client, line


@pytest.fixture
def records(caplog):
    caplog.set_level(logging.DEBUG, logger="tests.client_log")

    def at_least(level: int = logging.WARNING) -> list[str]:
        ours = [r for r in caplog.records if r.name == "tests.client_log"]
        return [r.getMessage() for r in ours if r.levelno >= level]

    return at_least


def test_an_outage_is_said_once_summarized_and_its_end_said_once(records):
    port = _closed_port()
    log = ClientLog(logging.getLogger("tests.client_log"), summary_interval=0.3, probe_interval=0.1)

    # Given 300 failed attempts of two clients of one process
    for attempt in range(300):
        log.log(*_refused(port, f"rdkafka#producer-{attempt % 2}"))

    # Then one warning names the address and the reason; the attempts are at DEBUG
    first, *_ = records()
    assert first.startswith(f"Kafka at 127.0.0.1:{port} is unreachable (Connect to ipv4#")
    assert "Connection refused" in first
    assert len(records(logging.DEBUG)) >= 300
    assert log.unreachable() == [f"127.0.0.1:{port}"]

    # While it stays away, a summary per interval says since when and how many attempts failed
    wait_for(lambda: len(records()) >= 2, 5, "a summary line")
    assert "is still unreachable, since" in records()[1]
    assert "300 failed attempts" in records()[1]

    # When the address answers again, one line says so, and the outage is over
    with socket.socket() as server:
        server.bind(("127.0.0.1", port))
        server.listen()
        wait_for(lambda: "answers again" in records()[-1], 5, "the line saying it is back")
    assert log.unreachable() == []
    warnings = records()
    assert warnings[-1].startswith(f"Kafka at 127.0.0.1:{port} answers again, after ")
    assert sum("still unreachable" in line for line in warnings) == len(warnings) - 2


def test_retried_coordinator_states_go_to_debug_and_other_lines_keep_their_level(records):
    log = ClientLog(logging.getLogger("tests.client_log"))
    log.log(
        logging.WARNING,
        "%s [%s] %s",
        "GETPID",
        "client#producer-3",
        "[thrd:main]: Failed to acquire idempotence PID from broker 127.0.0.1:9092/1: "
        "Broker: Coordinator load in progress: retrying",
    )
    log.log(logging.ERROR, "%s [%s] %s", "SSL", "client#consumer-1", "certificate verify failed")

    assert records() == ["SSL [client#consumer-1] certificate verify failed"]
    assert any("Coordinator load in progress" in line for line in records(logging.DEBUG))
    assert log.unreachable() == []
