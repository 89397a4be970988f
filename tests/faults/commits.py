"""CommitWatcher: samples a worker group's committed offsets from outside the workers."""

from __future__ import annotations

import itertools
import threading
import time

from confluent_kafka import Consumer, KafkaException, TopicPartition


class CommitWatcher:
    """Samples the group's committed offsets every 0.2 s: when they moved, and whether any went
    backwards."""

    def __init__(self, settings, topic: str, partitions: int) -> None:
        self._consumer = Consumer(
            {
                "bootstrap.servers": settings.bootstrap_servers,
                "group.id": f"{settings.namespace}.workers.default",
            }
        )
        self._partitions = [TopicPartition(topic, p) for p in range(partitions)]
        self.highest: dict[int, int] = {}
        self.backwards: list[tuple[int, int, int]] = []
        self.moves: list[float] = []
        """When a sample found some committed offset higher than the sample before."""
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            try:
                committed = self._consumer.committed(self._partitions, timeout=5)
            except KafkaException:
                continue  # the broker is away (some fault tests stop it): sample again
            moved = False
            for tp in committed:
                if tp.offset < 0:
                    continue
                before = self.highest.get(tp.partition, -1)
                if tp.offset < before:
                    self.backwards.append((tp.partition, before, tp.offset))
                moved = moved or tp.offset > before
                self.highest[tp.partition] = max(before, tp.offset)
            if moved:
                self.moves.append(time.monotonic())
            self.samples += 1

    def longest_stall(self, start: float, end: float) -> float:
        """The longest time between `start` and `end` in which no committed offset moved."""
        marks = [start, *(t for t in self.moves if start < t < end), end]
        return max(later - earlier for earlier, later in itertools.pairwise(marks))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self._consumer.close()
