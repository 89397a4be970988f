"""Fault 7: a worker frozen with SIGSTOP until its partitions move, then resumed."""

from __future__ import annotations

import signal
import threading

import pytest
from confluent_kafka import Consumer, TopicPartition

from tests.helpers import wait_for

SHORT_SESSION = {"KAFKATASK_SESSION_TIMEOUT_MS": "3000"}


class CommitWatcher:
    """Samples the worker group's committed offsets and remembers any that went backwards."""

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
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            for tp in self._consumer.committed(self._partitions, timeout=5):
                if tp.offset < 0:
                    continue
                before = self.highest.get(tp.partition, -1)
                if tp.offset < before:
                    self.backwards.append((tp.partition, before, tp.offset))
                self.highest[tp.partition] = max(before, tp.offset)
            self.samples += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self._consumer.close()


@pytest.mark.timeout(240)
def test_frozen_worker_wakes_up_after_its_partitions_moved(
    settings, client, workers, record_figures
):
    sleepy = client.task(lambda index, seconds: index, name="faults.sleepy")
    frozen = workers.start("frozen", "-c", "4", env=SHORT_SESSION)
    results = [sleepy.delay(i, 0.2) for i in range(200)]
    wait_for(lambda: sum(r.ready() for r in results) >= 40, 120, "40 results")
    watcher = CommitWatcher(
        settings, client.topology.names.tasks("default"), settings.task_partitions
    )
    try:
        # freeze it with tasks in flight, let another worker take its partitions over
        frozen.send_signal(signal.SIGSTOP)
        workers.start("thawed-out", "-c", "4", env=SHORT_SESSION)
        wait_for(
            lambda: sum(r.worker == "thawed-out" for r in results) >= 20,
            120,
            "the second worker to take over",
        )
        # then wake it up: its late results and commits must not count
        frozen.send_signal(signal.SIGCONT)
        assert [r.get(timeout=180) for r in results] == list(range(200))
        wait_for(lambda: watcher.samples >= 5, 30, "commit samples")
    finally:
        frozen.send_signal(signal.SIGCONT)
        watcher.stop()

    assert watcher.backwards == []
    record_figures(
        sent=200,
        completed=sum(r.successful() for r in results),
        lost=200 - sum(r.successful() for r in results),
        duplicates_suppressed=client.connection.router.duplicates,
        committed_offset_samples=watcher.samples,
        committed_offsets_gone_backwards=len(watcher.backwards),
        dead_lettered=0,
    )
