"""Create and describe topics through Kafka's admin API."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from kafkatask.exceptions import BrokerUnavailableError, ConfigurationError
from kafkatask.kafka.groups import GroupSetup
from kafkatask.settings import Settings

_UNREACHABLE = {KafkaError._TIMED_OUT, KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN}


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int = 1
    config: dict[str, str] = field(default_factory=dict)


class TopicAdmin:
    """Topic housekeeping: `ensure` creates what is missing and waits until it is usable."""

    def __init__(self, config: dict[str, Any], timeout: float) -> None:
        self._admin = AdminClient(config)
        self._bootstrap = config.get("bootstrap.servers", "?")
        self._timeout = timeout

    def partitions(self, topics: Iterable[str] | None = None) -> dict[str, int]:
        """Partition counts of the named topics that exist (all topics when None)."""
        metadata = self._metadata()
        wanted = None if topics is None else set(topics)
        return {
            name: len(topic.partitions)
            for name, topic in metadata.topics.items()
            if (wanted is None or name in wanted) and topic.error is None
        }

    def ensure(self, specs: Iterable[TopicSpec]) -> list[str]:
        """Create the topics that do not exist yet; return the names it created."""
        wanted = {spec.name: spec for spec in specs}
        existing = self.partitions(wanted)
        missing = [spec for name, spec in wanted.items() if name not in existing]
        if not missing:
            return []
        futures = self._admin.create_topics(
            [
                NewTopic(s.name, s.partitions, s.replication_factor, config=dict(s.config))
                for s in missing
            ],
            request_timeout=self._timeout,
        )
        for name, future in futures.items():
            try:
                future.result(timeout=self._timeout)
            except KafkaException as error:
                problem = error.args[0]
                if problem.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                    continue
                described = f"could not create topic {name} on {self._bootstrap}: {problem.str()}"
                if problem.retriable() or problem.code() in _UNREACHABLE:
                    raise BrokerUnavailableError(described) from error
                # Asking again cannot help: a replication factor above the broker count, a
                # topic config the broker refuses, no permission to create topics.
                raise ConfigurationError(
                    f"{described}; check the topic settings (task_partitions, "
                    "replication_factor, max_message_bytes) and the permissions of this client"
                ) from error
        self._wait_visible({spec.name for spec in missing})
        return [spec.name for spec in missing]

    def prepare_groups(self, settings: Settings, groups: Iterable[str]) -> GroupSetup:
        """The group protocol of these consumer groups, and their session timeout in force."""
        try:
            return GroupSetup.prepare(self._admin, settings, groups, self._timeout)
        except KafkaException as error:
            raise BrokerUnavailableError(
                f"could not read the consumer group settings of {self._bootstrap}: "
                f"{error.args[0].str()}"
            ) from error

    def delete(self, names: Iterable[str]) -> None:
        futures = self._admin.delete_topics(list(names), request_timeout=self._timeout)
        for future in futures.values():
            future.result(timeout=self._timeout)

    def _wait_visible(self, names: set[str]) -> None:
        # Creation is acknowledged by the controller before every broker's metadata has it.
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            if names <= set(self.partitions(names)):
                return
            time.sleep(0.05)
        raise BrokerUnavailableError(
            f"topics {sorted(names)} were created but did not appear in the metadata of "
            f"{self._bootstrap} within {self._timeout:.0f}s"
        )

    def _metadata(self) -> Any:
        try:
            return self._admin.list_topics(timeout=self._timeout)
        except KafkaException as error:
            raise BrokerUnavailableError(
                f"Kafka at {self._bootstrap} did not answer within {self._timeout:.0f}s "
                f"({error.args[0].str()}); check that the broker runs and that "
                "bootstrap_servers (KAFKATASK_BOOTSTRAP_SERVERS) points at it"
            ) from None
