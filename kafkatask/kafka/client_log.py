"""ClientLog: librdkafka's log lines through Python logging, with a broker outage said once.

librdkafka logs every failed attempt of every client to reach a broker, and each producer and
consumer keeps a connection per broker and retries it every few hundred milliseconds: with the
broker away for 8 s under load, a worker wrote about 770 lines and its caller about 300. The
line that matters (Kafka is unreachable) drowned in them. ClientLog is the `logger` of every
kafkatask client; for each broker address a process cannot reach it writes:

- one WARNING when the address first fails: which address, and librdkafka's reason;
- while it stays unreachable, one WARNING per `SUMMARY_INTERVAL`: since when, how many failed
  attempts;
- one WARNING when the address answers again (a TCP probe, once a second while it is down).

The failed attempts themselves go to DEBUG, as does librdkafka's chatter about passing states
it retries by itself (a group coordinator still loading). Everything else keeps its level.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from dataclasses import dataclass

SUMMARY_INTERVAL = 30.0
"""Seconds between two "still unreachable" lines for one address."""
PROBE_INTERVAL = 1.0
"""Seconds between two TCP probes of an unreachable address."""
PROBE_TIMEOUT = 0.5

_UNREACHABLE = re.compile(
    r"Connect to .* failed|Connection refused|Disconnected|Receive failed|Send failed"
    r"|Connection reset|brokers? (?:are|is) down|Broker transport failure|timed out"
    r"|Failed to resolve|No route to host"
)
_HOST_PORT = r"(\[[0-9a-fA-F:]+\]:\d+|[\w.\-]+:\d+)/\w+"
_ADDRESS = re.compile(rf"(?:^|\s){_HOST_PORT}:|thrd:{_HOST_PORT}")
"""A broker's name in a line ("127.0.0.1:9092/bootstrap: ...") or else its thread's."""
_WORDS = re.compile(r"\S+:\d+/\w+: (.*)$")
_RETRIED = re.compile(
    r"Coordinator load in progress|Coordinator not available: retrying"
    r"|new leader-?\d* not found in cache"
)


@dataclass
class _Outage:
    since: float
    """time.time() of the first failure."""
    reason: str
    failures: int = 1
    summarized: float = 0.0
    """time.monotonic() of the last line written about it."""


class ClientLog:
    """The object librdkafka logs to: confluent-kafka calls `log(level, "%s [%s] %s", facility,
    client name, message)` on it. One per process (`CLIENT_LOG`), shared by all its clients, so
    an outage is said once per process, not once per client."""

    def __init__(
        self,
        logger: logging.Logger,
        summary_interval: float = SUMMARY_INTERVAL,
        probe_interval: float = PROBE_INTERVAL,
    ) -> None:
        self._logger = logger
        self.summary_interval = summary_interval
        """Settable: the process's clients set it from `Settings.outage_log_interval`."""
        self._probe_interval = probe_interval
        self._lock = threading.Lock()
        self._outages: dict[str, _Outage] = {}
        self._prober: threading.Thread | None = None

    def log(self, level: int, msg: str, *args: object) -> None:
        text = msg % args if args else msg
        if _RETRIED.search(text):
            self._logger.debug("%s", text)
            return
        if level >= logging.WARNING and _UNREACHABLE.search(text):
            address = _address_in(text)
            if address is not None:
                self._failed(address, text)
                return
        self._logger.log(level, "%s", text)

    def unreachable(self) -> list[str]:
        """The addresses this process cannot reach now."""
        with self._lock:
            return sorted(self._outages)

    def _failed(self, address: str, text: str) -> None:
        with self._lock:
            outage = self._outages.get(address)
            if outage is None:
                self._outages[address] = _Outage(time.time(), _reason(text), 1, time.monotonic())
                self._start_prober()
            else:
                outage.failures += 1
        self._logger.debug("%s", text)
        if outage is None:
            self._logger.warning(
                "Kafka at %s is unreachable (%s); its clients retry, and this process says "
                "so every %.0fs until it answers",
                address,
                _reason(text),
                self.summary_interval,
            )

    def _start_prober(self) -> None:
        if self._prober is None or not self._prober.is_alive():
            self._prober = threading.Thread(target=self._probe, name="kafkatask-probe", daemon=True)
            self._prober.start()

    def _probe(self) -> None:
        """While any address is unreachable: probe each, and say when it is back or still out."""
        while True:
            time.sleep(self._probe_interval)
            with self._lock:
                if not self._outages:
                    self._prober = None
                    return
                outages = dict(self._outages)
            for address, outage in outages.items():
                if _answers(address):
                    with self._lock:
                        self._outages.pop(address, None)
                    self._logger.warning(
                        "Kafka at %s answers again, after %.1fs unreachable (%d failed attempts)",
                        address,
                        time.time() - outage.since,
                        outage.failures,
                    )
                elif time.monotonic() - outage.summarized >= self.summary_interval:
                    outage.summarized = time.monotonic()
                    self._logger.warning(
                        "Kafka at %s is still unreachable, since %s (%.0fs, %d failed attempts)",
                        address,
                        time.strftime("%H:%M:%S", time.localtime(outage.since)),
                        time.time() - outage.since,
                        outage.failures,
                    )


def _address_in(text: str) -> str | None:
    """The host:port of the broker a librdkafka line is about ("127.0.0.1:9092/bootstrap")."""
    found = _ADDRESS.search(text)
    return (found.group(1) or found.group(2)) if found else None


def _reason(text: str) -> str:
    """librdkafka's own words, without the thread and broker prefixes."""
    found = _WORDS.search(text)
    return found.group(1) if found else text


def _answers(address: str) -> bool:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=PROBE_TIMEOUT):
            return True
    except (OSError, ValueError):
        return False


CLIENT_LOG = ClientLog(logging.getLogger("kafkatask.kafka"))
