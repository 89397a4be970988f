"""Every exception kafkatask raises, in one place.

KafkaTaskError
├── ConfigurationError        settings that cannot work together
├── TaskRegistrationError     a task that cannot be registered (duplicate name, unknown option)
├── SerializationError
│   ├── EncodeError           a value the codec cannot encode; nothing was sent
│   └── DecodeError           bytes that do not decode or validate as a kafkatask message
├── MessageTooLargeError      an encoded message over the broker's size limit
├── BrokerUnavailableError    Kafka did not answer within the configured timeout
├── PublishError              the broker did not acknowledge a message in time
├── TaskTimeoutError          `get(timeout=...)` ran out; the handle can be waited on again
├── UnknownTaskError          the worker has no task of that name
├── TaskRevokedError          revoked or expired before it could finish
└── RemoteTaskError           a remote exception whose own type is not importable here
"""

from __future__ import annotations


class KafkaTaskError(Exception):
    """Base class of every kafkatask error."""


class ConfigurationError(KafkaTaskError):
    """Settings that cannot work together; the message says which and how to fix them."""


class TaskRegistrationError(KafkaTaskError):
    """A task that cannot be registered: a duplicate name, an unknown option, a bad target."""


class SerializationError(KafkaTaskError):
    """A value or a message that cannot cross the wire."""


class EncodeError(SerializationError):
    """A value the codec cannot encode; raised before anything is sent."""


class DecodeError(SerializationError):
    """Bytes that do not decode or validate as a kafkatask message."""


class MessageTooLargeError(KafkaTaskError):
    """An encoded message larger than the broker accepts; raised before anything is sent."""


class BrokerUnavailableError(KafkaTaskError):
    """Kafka did not answer within the configured timeout."""


class PublishError(KafkaTaskError):
    """The broker did not acknowledge a message within the delivery timeout."""


class TaskTimeoutError(KafkaTaskError, TimeoutError):
    """Waiting for a result ran out of time; the task may still finish later."""


class UnknownTaskError(KafkaTaskError):
    """The worker that received the message has no task registered under its name."""


class RemoteTaskError(KafkaTaskError):
    """A task failed remotely with an exception type that cannot be rebuilt on this side.

    `remote_type` is the exception's qualified name, `remote_traceback` the worker's traceback.
    """

    def __init__(self, message: str, remote_type: str = "", remote_traceback: str = "") -> None:
        super().__init__(message)
        self.remote_type = remote_type
        self.remote_traceback = remote_traceback

    def __str__(self) -> str:
        message = super().__str__()
        return f"{self.remote_type}: {message}" if self.remote_type else message


class TaskRevokedError(KafkaTaskError):
    """The task was revoked or expired before it could finish."""


class SoftTimeLimitExceeded(KafkaTaskError):  # noqa: N818 - Celery's name for it
    """Raised inside a task that ran past its `soft_time_limit`; the task may catch it."""

    def __init__(self, message: str = "the task ran past its soft time limit") -> None:
        super().__init__(message)


class TimeLimitExceeded(KafkaTaskError):  # noqa: N818 - Celery's name for it
    """The task ran past its `time_limit` and was ended; its caller gets this error."""

    def __init__(self, message: str = "the task ran past its time limit and was ended") -> None:
        super().__init__(message)


class Retry(KafkaTaskError):  # noqa: N818 - Celery's name for it
    """Raised by `self.retry()` in a bound task: run the task again later."""

    def __init__(
        self,
        exc: BaseException | None = None,
        countdown: float | None = None,
        max_retries: int | None = None,
    ) -> None:
        super().__init__(f"retry requested: {exc!r}" if exc else "retry requested")
        self.exc = exc
        self.countdown = countdown
        self.max_retries = max_retries


class MaxRetriesExceededError(KafkaTaskError):
    """The task asked to be retried after its last retry."""


class CircuitOpenError(KafkaTaskError):
    """The task's circuit breaker is open: it failed too often, so it is not run for now."""
