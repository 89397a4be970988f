"""kafkatask: a Celery-style distributed task framework on Apache Kafka for LangChain Runnables."""

from kafkatask._version import __version__
from kafkatask.app import App
from kafkatask.context import BoundTask, Request
from kafkatask.exceptions import (
    BrokerUnavailableError,
    CircuitOpenError,
    ConfigurationError,
    DecodeError,
    EncodeError,
    KafkaTaskError,
    MaxRetriesExceededError,
    MessageTooLargeError,
    PublishError,
    RemoteTaskError,
    Retry,
    SerializationError,
    SoftTimeLimitExceeded,
    TaskRegistrationError,
    TaskRevokedError,
    TaskTimeoutError,
    TimeLimitExceeded,
    UnknownTaskError,
)
from kafkatask.middleware import Middleware, Outcome
from kafkatask.result import AsyncResult, ResultCursor
from kafkatask.settings import Settings
from kafkatask.states import TaskState
from kafkatask.streaming import StreamCursor, StreamRestart
from kafkatask.task import Task

__all__ = [
    "App",
    "AsyncResult",
    "BoundTask",
    "BrokerUnavailableError",
    "CircuitOpenError",
    "ConfigurationError",
    "DecodeError",
    "EncodeError",
    "KafkaTaskError",
    "MaxRetriesExceededError",
    "MessageTooLargeError",
    "Middleware",
    "Outcome",
    "PublishError",
    "RemoteTaskError",
    "Request",
    "ResultCursor",
    "Retry",
    "SerializationError",
    "Settings",
    "SoftTimeLimitExceeded",
    "StreamCursor",
    "StreamRestart",
    "Task",
    "TaskRegistrationError",
    "TaskRevokedError",
    "TaskState",
    "TaskTimeoutError",
    "TimeLimitExceeded",
    "UnknownTaskError",
    "__version__",
]
