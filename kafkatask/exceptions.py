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
