"""librdkafka configuration for each kind of client, tuned for low latency.

Why each setting is here:
- `linger.ms` 1 (librdkafka's default is 5): under load, batches form while requests are in
  flight. A caller who waits and an idle worker do not wait for it (`MessageProducer.hurry`).
- `socket.nagle.disable`: small request and reply records must not wait for the kernel.
- `fetch.queue.backoff.ms` 5 (default 1000): kafkatask keeps librdkafka's prefetch small
  (backpressure), and with the default a full prefetch queue delays the next fetch by a second.
- `fetch.wait.max.ms` bounds how long an idle fetch waits at the broker; it sets how quickly a
  consumer notices a paused/resumed partition, not the latency of a waiting record, since the
  broker answers a pending fetch as soon as a record arrives.
User-supplied options (Settings.kafka/producer/consumer) are applied last and win.
"""

from __future__ import annotations

from typing import Any, Literal

from kafkatask.kafka.client_log import CLIENT_LOG
from kafkatask.settings import Settings

GroupProtocol = Literal["consumer", "classic"]

Config = dict[str, Any]


def common_config(settings: Settings, client_id: str) -> Config:
    CLIENT_LOG.summary_interval = settings.outage_log_interval
    return {
        "bootstrap.servers": settings.bootstrap_servers,
        "client.id": client_id,
        "socket.nagle.disable": True,
        "logger": CLIENT_LOG,  # a broker outage is one line, not one per retry (client_log.py)
        **settings.kafka,
    }


def producer_config(settings: Settings, client_id: str) -> Config:
    return {
        **common_config(settings, client_id),
        "linger.ms": 1,
        "acks": "all",
        "enable.idempotence": True,
        "message.max.bytes": settings.max_message_bytes + 64 * 1024,
        "message.timeout.ms": int(settings.delivery_timeout * 1000),
        "compression.type": "lz4",
        **settings.producer,
    }


def consumer_config(settings: Settings, client_id: str, group_id: str) -> Config:
    return {
        **common_config(settings, client_id),
        "group.id": group_id,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "enable.partition.eof": False,
        "fetch.wait.max.ms": 100,
        "fetch.queue.backoff.ms": 5,
        "fetch.max.bytes": max(settings.max_message_bytes * 2, 8 * 1024 * 1024),
        **settings.consumer,
    }


def worker_consumer_config(
    settings: Settings, client_id: str, group_id: str, protocol: GroupProtocol
) -> Config:
    if protocol == "consumer":
        # The coordinator assigns and keeps the session (kafka/groups.py sets its timeout).
        membership: Config = {"group.protocol": "consumer"}
    else:
        membership = {
            "partition.assignment.strategy": "cooperative-sticky",
            "session.timeout.ms": settings.session_timeout_ms,
            "heartbeat.interval.ms": max(100, settings.session_timeout_ms // 5),
        }
    return {
        **consumer_config(settings, client_id, group_id),
        **membership,
        "max.poll.interval.ms": settings.max_poll_interval_ms,
        # The worker pauses partitions when it is full; keep librdkafka's own read-ahead small
        # so a paused worker does not sit on thousands of records.
        "queued.min.messages": 500,
        "queued.max.messages.kbytes": 4096,
        **settings.consumer,
    }
