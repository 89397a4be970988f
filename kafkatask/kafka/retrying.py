"""Asking the broker again when it answers a metadata-dependent request too early."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import tenacity
from confluent_kafka import KafkaException

T = TypeVar("T")


def patiently(request: Callable[[], T], timeout: float) -> T:
    """`request()`, asked again with backoff while it raises KafkaException, for `timeout` s.

    A topic created a moment ago can briefly answer NOT_LEADER_FOR_PARTITION or
    UNKNOWN_TOPIC_OR_PART to offset queries until every broker has its metadata.
    """
    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_delay(timeout),
        wait=tenacity.wait_exponential(multiplier=0.05, max=1.0),
        retry=tenacity.retry_if_exception_type(KafkaException),
        reraise=True,
    )
    return retrying(request)
