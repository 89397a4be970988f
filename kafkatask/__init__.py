"""kafkatask: a Celery-style distributed task framework on Apache Kafka for LangChain Runnables."""

from kafkatask._version import __version__
from kafkatask.app import App
from kafkatask.exceptions import (
    BrokerUnavailableError,
    ConfigurationError,
    DecodeError,
    EncodeError,
    KafkaTaskError,
    MessageTooLargeError,
    PublishError,
    RemoteTaskError,
    SerializationError,
    TaskRegistrationError,
    TaskRevokedError,
    TaskTimeoutError,
    UnknownTaskError,
)
from kafkatask.result import AsyncResult
from kafkatask.settings import Settings
from kafkatask.states import TaskState
from kafkatask.task import Task

__all__ = [
    "App",
    "AsyncResult",
    "BrokerUnavailableError",
    "ConfigurationError",
    "DecodeError",
    "EncodeError",
    "KafkaTaskError",
    "MessageTooLargeError",
    "PublishError",
    "RemoteTaskError",
    "SerializationError",
    "Settings",
    "Task",
    "TaskRegistrationError",
    "TaskRevokedError",
    "TaskState",
    "TaskTimeoutError",
    "UnknownTaskError",
    "__version__",
]
