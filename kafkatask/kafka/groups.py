"""Which consumer group protocol a group of workers speaks, and its session timeout.

Kafka 4.0 made the consumer group protocol of KIP-848 (`group.protocol=consumer`) generally
available: the group coordinator assigns partitions itself and moves them one member at a
time, and members keep fetching and committing the partitions they keep while others move.
With the classic protocol every rebalance is a barrier: commits fail with
REBALANCE_IN_PROGRESS until every member has rejoined, which lasts until a killed member's
session expires; a worker that keeps finishing tasks meanwhile cannot commit them, and a crash
then runs them all again (docs/reliability.md has both measured side by side).

With the consumer protocol the session timeout and heartbeat interval are the group's settings
on the broker, not the client's: `GroupSetup.prepare` writes them as group configs
(`consumer.session.timeout.ms`, `consumer.heartbeat.interval.ms`), within the bounds the broker
allows (`group.consumer.min.session.timeout.ms`, 45 s on a stock broker), and reports the
session timeout that is in force.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from confluent_kafka import KafkaException
from confluent_kafka.admin import (  # type: ignore[attr-defined]  # not in __all__
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    ResourceType,
)

from kafkatask.kafka.config import GroupProtocol
from kafkatask.settings import Settings

_log = logging.getLogger("kafkatask.kafka")

_PROTOCOLS = "group.coordinator.rebalance.protocols"
_MIN_SESSION = "group.consumer.min.session.timeout.ms"
_MAX_SESSION = "group.consumer.max.session.timeout.ms"
_MIN_HEARTBEAT = "group.consumer.min.heartbeat.interval.ms"
_MAX_HEARTBEAT = "group.consumer.max.heartbeat.interval.ms"


@dataclass(frozen=True)
class GroupSetup:
    protocol: GroupProtocol
    session_timeout_ms: int
    """The session timeout in force: after this long without a heartbeat a member is dropped."""

    @classmethod
    def prepare(
        cls, admin: AdminClient, settings: Settings, groups: Iterable[str], timeout: float
    ) -> GroupSetup:
        """Choose the protocol (settings.group_protocol; "auto" asks the broker) and, for the
        consumer protocol, give `groups` the session timeout of the settings."""
        wanted = settings.group_protocol
        broker = _broker_config(admin, timeout) if wanted != "classic" else {}
        offered = {p.strip() for p in broker.get(_PROTOCOLS, "classic").split(",")}
        if wanted == "classic" or (wanted == "auto" and "consumer" not in offered):
            return cls("classic", settings.session_timeout_ms)
        session = _within(broker, settings.session_timeout_ms, _MIN_SESSION, _MAX_SESSION)
        heartbeat = _within(broker, max(100, session // 5), _MIN_HEARTBEAT, _MAX_HEARTBEAT)
        if session != settings.session_timeout_ms:
            _log.warning(
                "the broker allows consumer group session timeouts of %s to %s ms: using %d ms, "
                "not session_timeout_ms=%d (a dead worker's partitions move after that long; "
                "the broker's %s sets the lower bound)",
                broker.get(_MIN_SESSION, "?"),
                broker.get(_MAX_SESSION, "?"),
                session,
                settings.session_timeout_ms,
                _MIN_SESSION,
            )
        heartbeat = min(heartbeat, session // 2)
        configured = [_configure(admin, group, session, heartbeat, timeout) for group in groups]
        if not all(configured):
            session = int(broker.get("group.consumer.session.timeout.ms", session))
        return cls("consumer", session)


def _broker_config(admin: AdminClient, timeout: float) -> dict[str, str]:
    """The configuration of one broker (they agree on these settings)."""
    metadata = admin.list_topics(timeout=timeout)
    broker = str(min(metadata.brokers))
    futures = admin.describe_configs([ConfigResource(ResourceType.BROKER, broker)])
    (future,) = futures.values()
    return {name: entry.value for name, entry in future.result(timeout=timeout).items()}


def _within(broker: dict[str, str], value: int, low: str, high: str) -> int:
    lowest, highest = int(broker.get(low, value)), int(broker.get(high, value))
    return min(max(value, lowest), highest)


def _configure(
    admin: AdminClient, group: str, session_ms: int, heartbeat_ms: int, timeout: float
) -> bool:
    entries = [
        ConfigEntry(name, str(value), incremental_operation=AlterConfigOpType.SET)
        for name, value in (
            ("consumer.session.timeout.ms", session_ms),
            ("consumer.heartbeat.interval.ms", heartbeat_ms),
        )
    ]
    resource = ConfigResource(ResourceType.GROUP, group, incremental_configs=entries)
    (future,) = admin.incremental_alter_configs([resource]).values()
    try:
        future.result(timeout=timeout)
    except KafkaException as error:
        # Not fatal: the group keeps the broker's defaults (e.g. no ALTER_CONFIGS permission).
        _log.warning(
            "could not set the session timeout of consumer group %s to %d ms (%s); it keeps "
            "the broker's group.consumer.session.timeout.ms",
            group,
            session_ms,
            error.args[0].str(),
        )
        return False
    return True
