"""ClientConnection: a client process's producer and reply router, opened on first use."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid

from confluent_kafka import KafkaError, Message

from kafkatask.client.router import ReplyRouter
from kafkatask.client.slot import ResultSlot
from kafkatask.delays import delayed_topic
from kafkatask.exceptions import MessageTooLargeError, PublishError
from kafkatask.kafka import DeliveryCallback, MessageProducer, TopicAdmin
from kafkatask.kafka.config import common_config, consumer_config, producer_config
from kafkatask.protocol import (
    ErrorInfo,
    Headers,
    MessageKind,
    ReplyAddress,
    TaskMessage,
    encode,
    headers_for,
)
from kafkatask.serialization import codec_named
from kafkatask.serialization.signing import signer_of
from kafkatask.settings import Settings
from kafkatask.topology import Topology

_log = logging.getLogger("kafkatask.client")


class ClientConnection:
    """Everything a client needs to talk to Kafka: created by `App` the first time it sends."""

    def __init__(self, settings: Settings, app_name: str) -> None:
        self.settings = settings
        self.topology = Topology(settings)
        self.codec = codec_named(settings.codec)
        self.client_id = f"{app_name}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.admin = TopicAdmin(
            common_config(settings, self.client_id), timeout=settings.connect_timeout
        )
        # Raises BrokerUnavailableError within connect_timeout when Kafka is not there.
        names = self.topology.names
        self.admin.ensure([self.topology.results(), self.topology.streams()])
        self._partitions = self.admin.partitions([names.results, names.streams])
        self._topics_lock = threading.Lock()
        self.producer = MessageProducer(
            producer_config(settings, self.client_id), serve_in_background=True
        )
        self.signer = signer_of(settings)
        group = f"{settings.namespace}.client.{uuid.uuid4().hex}"
        try:
            self.router = ReplyRouter(
                consumer_config(settings, self.client_id, group),
                results=(names.results, self._partitions[names.results]),
                streams=(names.streams, self._partitions[names.streams]),
                reply_partition=settings.reply_partition,
                cache_size=settings.result_cache_size,
                wait_expiry=settings.result_wait_expiry,
                timeout=settings.connect_timeout,
                signer=self.signer,
            )
        except BaseException:
            self.producer.close(timeout=0)  # no thread left behind when the start fails
            raise

    @property
    def reply_to(self) -> ReplyAddress:
        return self.router.results

    @property
    def stream_to(self) -> ReplyAddress:
        return self.router.streams

    def ensure_queue(self, queue: str) -> tuple[str, int]:
        """The topic of `queue` and its partition count; the topic is created when missing."""
        topic = self.topology.names.tasks(queue)
        if topic not in self._partitions:
            with self._topics_lock:
                if topic not in self._partitions:
                    self.admin.ensure([self.topology.tasks(queue)])
                    self._partitions.update(self.admin.partitions([topic]))
        return topic, self._partitions[topic]

    def publish(
        self, message: TaskMessage, key: str | None, partition: int | None = None
    ) -> ResultSlot | None:
        """Encode, check and send one request; the slot (None without reply) gets its result.

        The record key is the caller's `key`, or else the task id: every copy of one task id
        (a client re-sending after a timeout) lands on one partition, where the worker runs it
        once. `partition` pins the record instead (batches spread their items that way). A
        request with an `eta` in the future goes to the delay topic that fits.
        """
        topic, _ = self.ensure_queue(message.queue)
        if message.eta is not None:
            topic = delayed_topic(self.topology.names, message)
            if topic != self.topology.names.tasks(message.queue):
                self._ensure_delay_topics()
                partition = None
        value = encode(message, self.codec)
        if len(value) > self.settings.max_message_bytes:
            raise MessageTooLargeError(
                f"task {message.task} encodes to {len(value):,} bytes, over the limit of "
                f"{self.settings.max_message_bytes:,} bytes (max_message_bytes); pass a "
                "reference (a URL or a storage key) instead of the data, or raise "
                "max_message_bytes together with the broker's message.max.bytes"
            )
        slot, new_slot = None, False
        if message.reply_to is not None:
            new_slot = not self.router.has_slot(message.id)
            slot = self.router.slot(message.id, message.task)
        headers: Headers = headers_for(MessageKind.TASK, self.codec, message.task, message.id)
        if self.signer is not None:
            headers = self.signer.sign(headers, value)
        try:
            self.producer.send(
                topic,
                value,
                key=(key if key is not None else message.id).encode(),
                headers=headers,
                partition=partition,
                on_delivery=self._on_delivery(message, slot),
            )
        except BaseException:
            if slot is not None and new_slot:
                self.router.forget(slot)  # nothing was sent: nothing will answer
            raise
        return slot

    def _ensure_delay_topics(self) -> None:
        specs = self.topology.delays()
        if specs[0].name in self._partitions:
            return
        with self._topics_lock:
            self.admin.ensure(specs)
            self._partitions.update({spec.name: spec.partitions for spec in specs})

    def send_control(self, value: bytes, headers: Headers) -> None:
        """Send a command to every worker and wait until the broker has it."""
        topic = self.topology.names.control
        if topic not in self._partitions:
            with self._topics_lock:
                self.admin.ensure([self.topology.control()])
                self._partitions[topic] = 1
        if self.signer is not None:
            headers = self.signer.sign(headers, value)
        self.producer.send(topic, value, headers=headers)
        if self.producer.flush(self.settings.delivery_timeout):
            raise PublishError(
                f"Kafka at {self.settings.bootstrap_servers} did not acknowledge a control "
                f"command within {self.settings.delivery_timeout:.0f}s (delivery_timeout)"
            )

    def _on_delivery(self, message: TaskMessage, slot: ResultSlot | None) -> DeliveryCallback:
        bootstrap = self.settings.bootstrap_servers
        timeout = self.settings.delivery_timeout

        def delivered(error: KafkaError | None, record: Message | None) -> None:
            if error is None:
                return
            failure = PublishError(
                f"task {message.task}[{message.id}] was not acknowledged by Kafka at {bootstrap} "
                f"within {timeout:.0f}s (delivery_timeout): {error.str()}"
            )
            _log.error("%s", failure)
            if slot is not None:
                slot.fail(ErrorInfo.from_exception(failure))
                self.router.retire(slot)

        return delivered

    def close(self) -> None:
        remaining = self.producer.close(timeout=self.settings.delivery_timeout)
        if remaining:
            _log.error("%d messages were still unsent when the client closed", remaining)
        self.router.close()
