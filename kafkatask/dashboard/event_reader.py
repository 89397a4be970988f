"""EventReader: a daemon thread that reads the events topic into the DashboardState.

It reads every partition from the beginning of what the topic keeps (one day), so a restarted
dashboard rebuilds its window of recent tasks, workers and rates from history; the window's
capacity bounds what that costs in memory. It commits nothing and joins no consumer group
that matters (librdkafka requires a group id even for assigned partitions).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from typing import TypeVar

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Message, TopicPartition

from kafkatask.dashboard.state import DashboardState
from kafkatask.kafka.config import consumer_config
from kafkatask.kafka.consuming import take
from kafkatask.settings import Settings

T = TypeVar("T")

_log = logging.getLogger("kafkatask.dashboard")
_BATCH = 1_000
_TOPIC_RETRY = 2.0
"""Seconds between asks while the events topic is missing (no worker has created it) or
the broker is away."""


class EventReader:
    def __init__(self, settings: Settings, state: DashboardState, client_id: str) -> None:
        self._settings = settings
        self._state = state
        self._topic = f"{settings.namespace}.events"
        group = f"{settings.namespace}.dashboard.{uuid.uuid4().hex}"
        self._config = consumer_config(settings, client_id, group)
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="kafkatask-dashboard-events", daemon=True
        )
        self._catching_up: dict[int, int] = {}
        """Per partition, the end offset at start that is not read yet."""

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        consumer = Consumer(self._config)
        try:
            partitions = self._wait_for_topic(consumer)
            if partitions is None:
                return
            ends = self._ends(consumer, partitions)
            if ends is None:
                return
            self._catching_up = ends
            self._check_caught_up()
            consumer.assign([TopicPartition(self._topic, p, OFFSET_BEGINNING) for p in partitions])
            while not self._stopping.is_set():
                self._read(take(consumer, _BATCH, timeout=0.25))
        except Exception:  # log it: a silent dead reader would leave the pages frozen
            _log.exception("the dashboard's event reader stopped")
        finally:
            consumer.close()

    def _wait_for_topic(self, consumer: Consumer) -> list[int] | None:
        def partitions() -> list[int] | None:
            metadata = consumer.list_topics(self._topic, timeout=self._settings.connect_timeout)
            topic = metadata.topics.get(self._topic)
            if topic is not None and topic.error is None and topic.partitions:
                return sorted(topic.partitions)
            return None  # not created yet: ask again

        return self._until_answered("the metadata", partitions)

    def _ends(self, consumer: Consumer, partitions: list[int]) -> dict[int, int] | None:
        """The end offsets of the history to catch up on; None when stopped meanwhile."""

        def ends() -> dict[int, int]:
            found = {}
            for partition in partitions:
                low, high = consumer.get_watermark_offsets(
                    TopicPartition(self._topic, partition), timeout=self._settings.connect_timeout
                )
                if high > low:
                    found[partition] = high
            return found

        return self._until_answered("the end offsets", ends)

    def _until_answered(self, what: str, ask: Callable[[], T | None]) -> T | None:
        """`ask()` until it gives an answer (not None); None when the reader stops first.

        The broker may be away for a moment, or the topic not created yet: ask again.
        """
        while not self._stopping.is_set():
            try:
                answer = ask()
                if answer is not None:
                    return answer
            except KafkaException as error:
                _log.warning("cannot read %s of %s: %s", what, self._topic, error)
            self._stopping.wait(_TOPIC_RETRY)
        return None

    def _read(self, records: list[Message]) -> None:
        for record in records:
            if record.error() is not None:
                continue
            self._state.ingest(record.value(), record.headers())
            if self._catching_up:
                self._passed(record.partition(), record.offset())

    def _passed(self, partition: int | None, offset: int | None) -> None:
        end = self._catching_up.get(partition or 0)
        if end is not None and offset is not None and offset + 1 >= end:
            del self._catching_up[partition or 0]
            self._check_caught_up()

    def _check_caught_up(self) -> None:
        if not self._catching_up:
            self._state.caught_up = True
            _log.info("the dashboard has read the history of %s", self._topic)
