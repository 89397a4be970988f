"""Topic names: everything lives under one namespace prefix."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TopicNames:
    namespace: str

    def tasks(self, queue: str) -> str:
        return f"{self.namespace}.tasks.{queue}"

    @property
    def results(self) -> str:
        return f"{self.namespace}.results"

    @property
    def streams(self) -> str:
        return f"{self.namespace}.streams"

    @property
    def events(self) -> str:
        return f"{self.namespace}.events"

    @property
    def dlq(self) -> str:
        return f"{self.namespace}.dlq"

    @property
    def control(self) -> str:
        return f"{self.namespace}.control"

    def retry(self, label: str) -> str:
        return f"{self.namespace}.retry.{label}"

    def queue_of(self, topic: str) -> str | None:
        """The queue name of a task topic, None for any other topic."""
        prefix = f"{self.namespace}.tasks."
        return topic[len(prefix) :] if topic.startswith(prefix) else None

    def owns(self, topic: str) -> bool:
        return topic.startswith(f"{self.namespace}.")
