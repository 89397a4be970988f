"""The topics kafkatask uses, with the shape each is created in when missing."""

from __future__ import annotations

from collections.abc import Iterable

from kafkatask.delays import BUCKETS
from kafkatask.kafka import TopicNames, TopicSpec
from kafkatask.settings import Settings

_DAY_MS = 24 * 3600 * 1000


class Topology:
    """Topic names and creation specs for one namespace."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.names = TopicNames(settings.namespace)

    def _spec(self, name: str, partitions: int, **config: str) -> TopicSpec:
        # The topic accepts a little more than a client may send, for headers and batch framing.
        limit = str(self.settings.max_message_bytes + 64 * 1024)
        return TopicSpec(
            name,
            partitions,
            self.settings.replication_factor,
            {"max.message.bytes": limit, **config},
        )

    def tasks(self, queue: str) -> TopicSpec:
        return self._spec(self.names.tasks(queue), self.settings.task_partitions)

    def results(self) -> TopicSpec:
        return self._spec(
            self.names.results, self.settings.result_partitions, **{"retention.ms": str(_DAY_MS)}
        )

    def streams(self) -> TopicSpec:
        return self._spec(
            self.names.streams, self.settings.stream_partitions, **{"retention.ms": str(_DAY_MS)}
        )

    def events(self) -> TopicSpec:
        return self._spec(
            self.names.events, self.settings.event_partitions, **{"retention.ms": str(_DAY_MS)}
        )

    def dlq(self) -> TopicSpec:
        return self._spec(self.names.dlq, 1, **{"retention.ms": str(30 * _DAY_MS)})

    def delays(self) -> list[TopicSpec]:
        return [
            self._spec(
                self.names.retry(bucket.label),
                self.settings.task_partitions,
                **{"retention.ms": str(7 * _DAY_MS)},
            )
            for bucket in BUCKETS
        ]

    def control(self) -> TopicSpec:
        return self._spec(self.names.control, 1, **{"retention.ms": str(_DAY_MS)})

    def all(self, queues: Iterable[str]) -> list[TopicSpec]:
        return [
            *(self.tasks(queue) for queue in queues),
            self.results(),
            self.streams(),
            self.events(),
            self.dlq(),
            self.control(),
            *self.delays(),
        ]
