"""kafkatask behind the comparison's client interface (benchmarks/versus/client.py).

Construct it only after the `KAFKATASK_*` variables of the run are set: the app reads its
settings when benchmarks/versus/kafkatask_app.py is imported.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from benchmarks.topics import wait_until_readable
from kafkatask.kafka import TopicAdmin
from kafkatask.kafka.config import common_config

APP = "benchmarks.versus.kafkatask_app"


class KafkataskClient:
    name = "kafkatask"

    def __init__(self) -> None:
        from benchmarks.versus import kafkatask_app

        self._app = kafkatask_app.app
        self._tasks = kafkatask_app.TASKS

    def prepare(self) -> None:
        """Create the namespace's topics as a worker would, and wait until every one answers."""
        settings = self._app.settings
        config = common_config(settings, "versus-setup")
        specs = self._app.topology.all([settings.default_queue])
        TopicAdmin(config, timeout=settings.connect_timeout).ensure(specs)
        wait_until_readable(config, {spec.name: spec.partitions for spec in specs})

    def worker_command(self, concurrency: int, index: int) -> list[str]:
        kafkatask = Path(sys.executable).with_name("kafkatask")
        return [
            *(str(kafkatask), "worker", "-A", APP, "-c", str(concurrency)),
            *("-n", f"versus{index}", "-l", "warning"),
        ]

    def warm_up(self, timeout: float) -> None:
        """One call; retries a client that fails to open with "not leader" (see topics.py)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._tasks["noop"].delay(0).get(timeout=max(0.1, deadline - time.monotonic()))
            except KafkaException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
            else:
                return

    def wait_for_workers(self, count: int, timeout: float) -> None:
        """Wait until the workers' group is stable with `count` members, each owning partitions."""
        settings = self._app.settings
        admin = AdminClient(common_config(settings, "versus-group"))
        group = self._app.topology.names.workers_group([settings.default_queue])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            described = admin.describe_consumer_groups([group])[group].result(timeout=10)
            owning = [m for m in described.members if m.assignment.topic_partitions]
            if len(owning) == count and str(described.state).endswith("STABLE"):
                return
            time.sleep(0.2)
        raise TimeoutError(f"{count} workers did not all get partitions within {timeout:.0f}s")

    def send(self, task: str, *args: Any) -> Any:
        return self._tasks[task].delay(*args)

    def result(self, handle: Any, timeout: float) -> Any:
        return handle.get(timeout=timeout)

    def finish_sending(self) -> None:
        # Closing the app is the public way to wait for the producer's queue to drain.
        self._app.close()

    def close(self) -> None:
        self._app.close()
