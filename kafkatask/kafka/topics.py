"""Topic and consumer group names: everything lives under one namespace prefix."""

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

    def workers_group(self, queues: list[str]) -> str:
        """The consumer group of the workers of a queue set (see docs/protocol.md 2.4)."""
        return f"{self.namespace}.workers.{'+'.join(sorted(set(queues)))}"

    @property
    def scheduler_group(self) -> str:
        """The consumer group of the delay schedulers, over every delay topic."""
        return f"{self.namespace}.scheduler"

    def queues_of_group(self, group: str) -> list[str] | None:
        """The queues a workers' group reads, None for any other group."""
        prefix = f"{self.namespace}.workers."
        return group[len(prefix) :].split("+") if group.startswith(prefix) else None

    def is_task_topic(self, topic: str) -> bool:
        return self.queue_of(topic) is not None

    def is_delay_topic(self, topic: str) -> bool:
        return topic.startswith(f"{self.namespace}.retry.")

    def queue_of(self, topic: str) -> str | None:
        """The queue name of a task topic, None for any other topic."""
        prefix = f"{self.namespace}.tasks."
        return topic[len(prefix) :] if topic.startswith(prefix) else None

    def owns(self, topic: str) -> bool:
        return topic.startswith(f"{self.namespace}.")
