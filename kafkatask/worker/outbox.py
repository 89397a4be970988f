"""Outbox: the records a worker owes (replies, markers, dead letters, retries), sent until
the broker has them.

A record whose delivery fails for a passing reason (the broker restarting, a timeout) is sent
again; one that can never be delivered (a partition that does not exist, a record the broker
refuses as too large) is logged and given up, so one bad request cannot stall a partition.
`on_acked` callbacks must be safe to call from any thread (the worker's post a notice to its
consumer thread, which owns the offsets).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from confluent_kafka import KafkaError, KafkaException, Message

from kafkatask.kafka import MessageProducer
from kafkatask.protocol import Headers
from kafkatask.serialization.signing import Signer

_log = logging.getLogger("kafkatask.worker")

_PERMANENT = {
    KafkaError._UNKNOWN_PARTITION,
    KafkaError._UNKNOWN_TOPIC,
    KafkaError.UNKNOWN_TOPIC_OR_PART,
    KafkaError.MSG_SIZE_TOO_LARGE,
    KafkaError._INVALID_ARG,
    KafkaError.TOPIC_AUTHORIZATION_FAILED,
    KafkaError.INVALID_RECORD,
    KafkaError.TOPIC_EXCEPTION,  # an invalid topic name (e.g. a reply_to a caller made up)
}

Post = Callable[[Callable[[], None]], None]


class Outbox:
    def __init__(self, producer: MessageProducer, post: Post, signer: Signer | None) -> None:
        self._producer = producer
        self._post = post
        self._signer = signer

    def send(
        self,
        topic: str,
        value: bytes,
        *,
        key: bytes | None,
        headers: Headers,
        partition: int | None = None,
        on_acked: Callable[[], None] | None = None,
        on_failed: Callable[[KafkaError], None] | None = None,
        what: str = "a record",
        sign: bool = True,
    ) -> None:
        """Send until delivered, then call `on_acked`.

        Without `on_acked` the record is best effort: not sent again when it fails. A record
        that can never be delivered calls `on_failed` (to keep it somewhere else), or else
        `on_acked`, after logging it.
        """
        if sign and self._signer is not None:
            headers = self._signer.sign(headers, value)
        if on_acked is None:
            self._best_effort(topic, value, key, headers, partition)
            return

        def retry() -> None:
            self.send(
                topic,
                value,
                key=key,
                headers=headers,
                partition=partition,
                on_acked=on_acked,
                on_failed=on_failed,
                what=what,
                sign=False,
            )

        def delivered(error: KafkaError | None, record: Message | None) -> None:
            if error is None:
                on_acked()
            else:
                self._failed(error, what, retry, on_failed or (lambda _: on_acked()))

        try:
            self._producer.send(
                topic, value, key=key, headers=headers, partition=partition, on_delivery=delivered
            )
        except KafkaException as raised:
            delivered(raised.args[0], None)

    def _best_effort(
        self,
        topic: str,
        value: bytes,
        key: bytes | None,
        headers: Headers,
        partition: int | None,
    ) -> None:
        # Events and intermediate states: no callback at all (most records a worker sends).
        try:
            self._producer.send(topic, value, key=key, headers=headers, partition=partition)
        except KafkaException as error:
            _log.debug("dropped a best-effort record to %s: %s", topic, error)

    def _failed(
        self,
        error: KafkaError,
        what: str,
        retry: Callable[[], None],
        give_up: Callable[[KafkaError], None],
    ) -> None:
        if error.code() in _PERMANENT or error.fatal():
            _log.error("giving up on %s: %s (it can never be delivered)", what, error.str())
            give_up(error)
        else:
            _log.warning("%s was not delivered (%s); sending it again", what, error.str())
            self._post(retry)
