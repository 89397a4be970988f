"""Task: the handle `@app.task` returns. Celery's calling API, and a LangChain Runnable.

`add.delay(2, 3)` and `add.apply_async((2, 3), queue="high")` send a request through Kafka and
return an AsyncResult; `add(2, 3)` still runs the function right here. As a Runnable (see
remote_runnable.py) the handle composes in LCEL chains, and every call is a remote call.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar

from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.utils import ConfigurableFieldSpec
from langchain_core.utils.pydantic import TypeBaseModel
from pydantic import BaseModel, RootModel

from kafkatask.options import TaskOptions
from kafkatask.protocol import TaskMessage, TaskMode
from kafkatask.remote_runnable import RemoteRunnable
from kafkatask.result import AsyncResult
from kafkatask.runnable_config import config_to_wire
from kafkatask.targets import FunctionTarget, RunnableTarget, Target

if TYPE_CHECKING:
    from kafkatask.app import App

P = ParamSpec("P")
R = TypeVar("R")
_Handle = AsyncResult  # the method called AsyncResult below hides the class in its body


class Task(RemoteRunnable[R], Generic[P, R]):
    """A registered task. Generic over the function's parameters and its return type."""

    def __init__(self, app: App, target: Target, options: TaskOptions) -> None:
        self.app = app
        self.target = target
        self.options = options
        self.name: str = options.name
        if isinstance(target, FunctionTarget):
            self.__doc__ = target.fn.__doc__
            self.__wrapped__ = target.fn

    def __repr__(self) -> str:
        return f"<Task {self.name} queue={self.options.queue}>"

    def describe(self) -> str:
        """Where this task's code comes from, for error messages."""
        if isinstance(self.target, FunctionTarget):
            code = getattr(self.target.fn, "__code__", None)
            where = f" at {code.co_filename}:{code.co_firstlineno}" if code else ""
            return f"function {self.target.fn.__qualname__}{where}"
        return f"runnable {self.target.runnable!r:.80}"

    @property
    def queue(self) -> str:
        return self.options.queue

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run the task here, in this process, without Kafka (like calling the function)."""
        if isinstance(self.target, RunnableTarget):
            return self.target.call(list(args), dict(kwargs), None)  # type: ignore[no-any-return]
        return self.target.fn(*args, **kwargs)  # type: ignore[no-any-return]

    # -- Celery's calling API ------------------------------------------------------------

    def delay(self, *args: P.args, **kwargs: P.kwargs) -> _Handle[R]:
        """Send the task with these arguments; shorthand for `apply_async(args, kwargs)`."""
        return self.apply_async(args, kwargs)

    def apply_async(
        self,
        args: Sequence[Any] | None = None,
        kwargs: Mapping[str, Any] | None = None,
        *,
        queue: str | None = None,
        key: str | None = None,
        task_id: str | None = None,
        expires: float | dt.datetime | None = None,
        headers: Mapping[str, str] | None = None,
        ignore_result: bool | None = None,
        stream: bool = False,
        countdown: float | None = None,
        eta: dt.datetime | float | None = None,
    ) -> _Handle[R]:
        """Send the task with options; returns at once with a handle on its result.

        Args:
            queue: the queue (topic `<ns>.tasks.<queue>`) to send to, instead of the task's own.
            key: the Kafka record key: all tasks with one key go to one partition, in order.
            task_id: the id to use (a new UUID by default).
            expires: seconds from now, or a datetime, after which the task must not start.
            headers: string metadata carried with the task, visible to the worker.
            ignore_result: send no result back (fire and forget).
            stream: have the worker stream the output; read it with `result.stream()`, and
                `result.get()` returns the aggregated output.
            countdown: run no earlier than this many seconds from now.
            eta: run no earlier than this time (a timezone-aware datetime, or epoch seconds).
                Delayed tasks wait in Kafka's delay topics, not in a worker's memory.

        Raises:
            TypeError: the arguments do not fit the task's signature.
            EncodeError: an argument has no wire form; nothing is sent.
            MessageTooLargeError: the message is over max_message_bytes; nothing is sent.
            BrokerUnavailableError: Kafka did not answer within connect_timeout.
        """
        call_args, call_kwargs = list(args or ()), dict(kwargs or {})
        self._check_signature(call_args, call_kwargs)
        message = self._message(
            call_args,
            call_kwargs,
            queue=queue,
            key=key,
            task_id=task_id,
            expires=expires,
            headers=headers,
            ignore_result=ignore_result,
            mode="stream" if stream else "invoke",
            eta=_due(countdown, eta),
        )
        return self.app.send(message, key)

    def AsyncResult(self, task_id: str) -> _Handle[R]:  # noqa: N802 - Celery's name
        """A handle on a task this client sent, from its id alone."""
        return self.app.AsyncResult(task_id)

    def send_input(
        self,
        input: Any,
        config: RunnableConfig | None = None,
        *,
        mode: TaskMode = "invoke",
        task_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        partition: int | None = None,
    ) -> _Handle[R]:
        """Send one Runnable-style input (what `invoke` takes) and return its handle at once.

        What `invoke`, `batch` and `stream` do under the hood, for callers that need the handle
        itself (its id, its cursor) or to set the task id and headers, such as the gateway.

        Args:
            mode: "invoke" (one result), "stream" (chunks too, `result.stream()`) or "events"
                (the events of `astream_events`, v2, as the chunks).
            task_id: the id to use (a new UUID by default).
            headers: string metadata carried with the task, visible to the worker.
            partition: the partition of the queue's topic to send to (else the id's).

        Raises:
            pydantic.ValidationError: the input does not fit the Runnable's input schema.
            TypeError, EncodeError, MessageTooLargeError, BrokerUnavailableError: as for
                `apply_async`; nothing is sent.
        """
        self._check_input(input)
        args, kwargs = self.target.input_to_call(input)
        self._check_signature(args, kwargs)
        message = self._message(
            args, kwargs, config=config, mode=mode, task_id=task_id, headers=headers
        )
        return self.app.send(message, None, partition)

    # -- hooks for RemoteRunnable --------------------------------------------------------

    def _send_input(
        self,
        input: Any,
        config: RunnableConfig | None,
        *,
        mode: str = "invoke",
        partition: int | None = None,
    ) -> _Handle[R]:
        return self.send_input(input, config, mode=mode, partition=partition)  # type: ignore[arg-type]

    def _partitions(self) -> int:
        return self.app.connection.ensure_queue(self.options.queue)[1]

    def _remote_schema(self, which: str) -> TypeBaseModel:
        return self.target.input_schema() if which == "input" else self.target.output_schema()

    def _remote_config_specs(self) -> list[ConfigurableFieldSpec]:
        if isinstance(self.target, RunnableTarget):
            return self.target.runnable.config_specs
        return []

    @property
    def _timeout(self) -> float | None:
        return self.app.settings.runnable_timeout

    # -- building requests ---------------------------------------------------------------

    def _check_signature(self, args: list[Any], kwargs: dict[str, Any]) -> None:
        # Like Celery's `typing`: a call that cannot bind fails here, before anything is sent.
        signature = self.target.signature
        if signature is None:
            return
        try:
            signature.bind(*args, **kwargs)
        except TypeError as error:
            raise TypeError(f"task {self.name}: {error}") from None

    def _check_input(self, input: Any) -> None:
        """Validate a Runnable's input against its input schema, on the caller's side.

        Only schemas with named fields are checked (a prompt's variables, a typed dict): a
        missing or mistyped field raises pydantic's ValidationError naming it, before anything
        is sent. Other inputs are the Runnable's own business.
        """
        if not isinstance(self.target, RunnableTarget):
            return
        schema = self.target.input_schema()
        if not issubclass(schema, BaseModel) or issubclass(schema, RootModel):
            return
        if set(schema.model_fields) - {"root"}:
            # (Some schemas wrap a single value in a plain model with one "root" field.)
            schema.model_validate(input)

    def _message(
        self,
        args: list[Any],
        kwargs: dict[str, Any],
        *,
        queue: str | None = None,
        key: str | None = None,
        task_id: str | None = None,
        expires: float | dt.datetime | None = None,
        headers: Mapping[str, str] | None = None,
        ignore_result: bool | None = None,
        config: RunnableConfig | None = None,
        mode: TaskMode = "invoke",
        eta: float | None = None,
    ) -> TaskMessage:
        values = self.app.values
        wire_args = [values.encode(value, self._where(index)) for index, value in enumerate(args)]
        wire_kwargs = {
            name: values.encode(value, f"argument {name!r} of task {self.name}")
            for name, value in kwargs.items()
        }
        skip_reply = self.options.ignore_result if ignore_result is None else ignore_result
        return TaskMessage(
            id=task_id or str(uuid.uuid4()),
            task=self.name,
            args=wire_args,
            kwargs=wire_kwargs,
            mode=mode,
            config=config_to_wire(config, values, self.name),
            queue=queue or self.options.queue,
            key=key,
            headers=dict(headers or {}),
            expires_at=_deadline(expires),
            eta=eta,
            track_started=self.options.track_started or self.app.settings.track_started,
            reply_to=None if skip_reply else self.app.reply_to(),
            stream_to=self.app.stream_to() if mode != "invoke" else None,
            origin=self.app.client_id(),
        )

    def _where(self, index: int) -> str:
        name = self.target.parameter_name(index)
        label = f"argument {name!r} (position {index})" if name else f"argument {index}"
        return f"{label} of task {self.name}"


def _due(countdown: float | None, eta: dt.datetime | float | None) -> float | None:
    if countdown is not None and eta is not None:
        raise ValueError("give countdown or eta, not both")
    if countdown is not None:
        return time.time() + float(countdown)
    if isinstance(eta, dt.datetime):
        if eta.tzinfo is None:
            raise ValueError("eta must be timezone-aware (e.g. datetime.now(timezone.utc))")
        return eta.timestamp()
    return eta


def _deadline(expires: float | dt.datetime | None) -> float | None:
    if expires is None:
        return None
    if isinstance(expires, dt.datetime):
        if expires.tzinfo is None:
            raise ValueError("expires must be timezone-aware (e.g. datetime.now(timezone.utc))")
        return expires.timestamp()
    return time.time() + float(expires)
