"""App: the task registry and the client connection of one kafkatask application.

Creating an App connects to nothing; the connection opens the first time it sends, so modules
that define tasks can be imported anywhere (tests, the worker, a web server) without side effects.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from typing import Any, ParamSpec, Protocol, TypeVar, overload

from langchain_core.load.serializable import Serializable
from langchain_core.runnables import Runnable
from pydantic import ValidationError

from kafkatask.client import ClientConnection
from kafkatask.client.router import ReplyOffsets
from kafkatask.client.slot import ResultSlot
from kafkatask.control import Control
from kafkatask.exceptions import TaskRegistrationError
from kafkatask.middleware import DEFAULT_MIDDLEWARE, Middleware
from kafkatask.options import TaskOptions
from kafkatask.protocol import ReplyAddress, ResultMessage, TaskMessage
from kafkatask.registry import TaskRegistry
from kafkatask.result import AsyncResult, ResultCursor, replayed_result
from kafkatask.serialization import ValueCodec
from kafkatask.serialization.langchain_types import DATA_CLASSES
from kafkatask.settings import Settings
from kafkatask.streaming import (
    AsyncChunkStream,
    ChunkStream,
    StreamCursor,
    areplayed_records,
    replayed_records,
)
from kafkatask.targets import FunctionTarget, RunnableTarget, Target
from kafkatask.task import Task
from kafkatask.topology import Topology

P = ParamSpec("P")
R = TypeVar("R")
I = TypeVar("I")  # noqa: E741 - the Runnable's input
O = TypeVar("O")  # noqa: E741 - the Runnable's output
_Handle = AsyncResult  # the method called AsyncResult below hides the class in its body


class TaskDecorator(Protocol):
    @overload
    def __call__(self, fn: Callable[P, Coroutine[Any, Any, R]], /) -> Task[P, R]: ...
    @overload
    def __call__(self, fn: Callable[P, R], /) -> Task[P, R]: ...


class App:
    """A kafkatask application: `@app.task` registers, `task.delay()` sends through Kafka.

    Args:
        name: the application's name, used in client ids and logs.
        settings: a complete Settings; keyword overrides are applied on top of it.
        allowed_objects: LangChain classes that messages may construct, beyond langchain-core's.
        middleware: the worker middleware classes (retries, time limits, rate limits, the
            circuit breaker by default); their task options become valid `@app.task` options.
        **overrides: any Settings field, e.g. `bootstrap_servers="localhost:9092"`; fields not
            given come from `KAFKATASK_*` environment variables, then the defaults.
    """

    def __init__(
        self,
        name: str = "kafkatask",
        *,
        settings: Settings | None = None,
        allowed_objects: Iterable[type[Serializable]] = (),
        middleware: Sequence[type[Middleware]] = DEFAULT_MIDDLEWARE,
        **overrides: Any,
    ) -> None:
        self.name = name
        self.middleware = tuple(middleware)
        """Middleware classes; each worker makes its own instances."""
        if settings is None:
            self.settings = Settings(**overrides)
        else:
            self.settings = Settings.model_validate({**settings.model_dump(), **overrides})
        self.registry = TaskRegistry()
        self.topology = Topology(self.settings)
        self.values = ValueCodec(
            accept_pickle=self.settings.accept_pickle,
            allowed_objects=[*DATA_CLASSES, *allowed_objects],
        )
        self._connection: ClientConnection | None = None
        self._connect_lock = threading.Lock()
        self.control = Control(self)
        """Commands to every worker: `app.control.revoke(task_id, terminate=False)`."""

    def __repr__(self) -> str:
        return f"<App {self.name} {self.settings.bootstrap_servers} ns={self.settings.namespace}>"

    # -- registering ---------------------------------------------------------------------

    @overload
    def task(
        self, target: Runnable[I, O], /, *, name: str | None = None, **options: Any
    ) -> Task[[I], O]: ...
    @overload
    def task(self, target: Callable[P, Coroutine[Any, Any, R]], /) -> Task[P, R]: ...
    @overload
    def task(self, target: Callable[P, R], /) -> Task[P, R]: ...
    @overload
    def task(
        self,
        target: None = None,
        /,
        *,
        name: str | None = None,
        queue: str | None = None,
        ordered: bool = False,
        track_started: bool = False,
        ignore_result: bool = False,
        batch_size: int = 1,
        batch_window_ms: float = 50.0,
        **options: Any,
    ) -> TaskDecorator: ...

    def task(self, target: Any = None, /, **options: Any) -> Any:
        """Register a function (sync or async) or any LangChain Runnable as a task.

        Use bare (`@app.task`), with options (`@app.task(name=..., queue=...)`), or as a call
        on a Runnable (`app.task(chain, name="summarize")`).
        """
        if target is None:
            return lambda fn: self._register(fn, options)
        return self._register(target, options)

    def _register(self, target: Any, options: dict[str, Any]) -> Task[Any, Any]:
        adapter = _adapt(target, bind=bool(options.get("bind")))
        task_options = self._options(adapter, options)
        task: Task[Any, Any] = Task(self, adapter, task_options)
        self.registry.register(task)
        return task

    def _options(self, target: Target, options: dict[str, Any]) -> TaskOptions:
        core = set(TaskOptions.model_fields) - {"extra"}
        owners = {name: m for m in self.middleware for name in m.options}
        unknown = sorted(set(options) - core - set(owners))
        if unknown:
            raise TaskRegistrationError(
                f"unknown task option(s) {', '.join(unknown)}; {_option_help(core, owners)}"
            )
        name = options.get("name") or target.default_name
        extra = {key: value for key, value in options.items() if key in owners}
        for middleware in {owners[key] for key in extra}:
            middleware.validate(name, extra)
        try:
            task_options = TaskOptions(
                **{
                    **{key: value for key, value in options.items() if key in core},
                    "name": name,
                    "queue": options.get("queue") or self.settings.default_queue,
                    "extra": extra,
                }
            )
        except ValidationError as error:
            raise TaskRegistrationError(f"invalid task options: {error}") from None
        if task_options.ordered and task_options.batch_size > 1:
            raise TaskRegistrationError(
                f"task {task_options.name}: ordered=True runs one request per key at a time, "
                "batch_size>1 runs several at once; choose one of them"
            )
        return task_options

    # -- sending -------------------------------------------------------------------------

    @property
    def connection(self) -> ClientConnection:
        """The client's Kafka connection, opened on first use."""
        if self._connection is None:
            with self._connect_lock:
                if self._connection is None:
                    self._connection = ClientConnection(self.settings, self.name)
                    atexit.register(self._close_at_exit)
        return self._connection

    def client_id(self) -> str:
        return self.connection.client_id

    def reply_to(self) -> ReplyAddress:
        return self.connection.reply_to

    def stream_to(self) -> ReplyAddress:
        return self.connection.stream_to

    def reply_offsets(self) -> ReplyOffsets:
        """Offsets of `reply_to()` and `stream_to()` at or before the first record of any task
        this client sends from now on: a ResultCursor or StreamCursor of such a task may start
        there, so another process can read its result or stream back knowing only these."""
        return self.connection.router.offsets

    def send(
        self, message: TaskMessage, key: str | None, partition: int | None = None
    ) -> AsyncResult[Any]:
        """Publish a prepared request and return its handle (used by Task.apply_async)."""
        stream = None
        if message.stream_to is not None:
            # Registered before sending, so not even the first chunk can be missed.
            slot = self.connection.router.stream_slot(message.id)
            stream = (slot, message.stream_to)
        try:
            result_slot = self.connection.publish(message, key, partition)
        except BaseException:
            if stream is not None:  # never sent: no chunk will come
                self.connection.router.forget_stream(message.id)
            raise
        return AsyncResult(message.id, result_slot, self, stream)

    def AsyncResult(self, task_id: str) -> AsyncResult[Any]:  # noqa: N802 - Celery's name
        """A handle on a task this client sent, from its id alone."""
        return AsyncResult(task_id, self.connection.router.slot(task_id), self)

    def stream(
        self, cursor: StreamCursor, timeout: float | None = None, *, report_restarts: bool = False
    ) -> ChunkStream:
        """Replay (or resume) a task's stream from a cursor, reading Kafka directly.

        `result.cursor` replays from the first chunk; `iterator.cursor` (after some chunks)
        resumes right after the last chunk that iterator yielded, with no gap and no repeat.
        Works from any process, also after the task finished. `report_restarts` as for
        `AsyncResult.stream`.
        """
        records = replayed_records(self.settings, cursor, timeout)
        return ChunkStream(records, cursor, self.values, report_restarts=report_restarts)

    def astream(
        self, cursor: StreamCursor, timeout: float | None = None, *, report_restarts: bool = False
    ) -> AsyncChunkStream:
        """`stream` for async code."""
        records = areplayed_records(self.settings, cursor, timeout)
        return AsyncChunkStream(records, cursor, self.values, report_restarts=report_restarts)

    def fetch_result(self, cursor: ResultCursor, timeout: float | None = None) -> _Handle[Any]:
        """A finished task's handle, its result read back from Kafka from a cursor.

        Works from any process, for a task any client sent, while the result is in the
        results topic (a day by default). Raises TaskTimeoutError when no final result arrives
        within `timeout` seconds.
        """
        message = replayed_result(self.settings, cursor, timeout)
        assert message is not None, "only a stop event ends the replay without a result"
        return self._finished_handle(message)

    async def afetch_result(
        self, cursor: ResultCursor, timeout: float | None = None
    ) -> _Handle[Any]:
        """`fetch_result` for async code: the read runs on a thread, and stops when cancelled."""
        stop = threading.Event()
        try:
            message = await asyncio.to_thread(replayed_result, self.settings, cursor, timeout, stop)
        finally:
            stop.set()
        assert message is not None
        return self._finished_handle(message)

    def _finished_handle(self, message: ResultMessage) -> _Handle[Any]:
        slot = ResultSlot(message.id, message.task, threading.Condition())
        slot.update(message)
        return _Handle(message.id, slot, self)

    def close(self) -> None:
        """Flush what is still being sent and close the connection (idempotent)."""
        with self._connect_lock:
            connection, self._connection = self._connection, None
        if connection is not None:
            atexit.unregister(self._close_at_exit)
            connection.close()

    def _close_at_exit(self) -> None:
        # A fire-and-forget `delay()` just before the interpreter exits must still be delivered.
        self.close()

    def __enter__(self) -> App:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _option_help(core: set[str], owners: Mapping[str, type[Middleware]]) -> str:
    by_owner: dict[str, list[str]] = {}
    for option, owner in owners.items():
        by_owner.setdefault(owner.__name__, []).append(option)
    parts = [f"{owner} accepts {', '.join(sorted(names))}" for owner, names in by_owner.items()]
    return f"core options: {', '.join(sorted(core))}; " + "; ".join(parts)


def _adapt(target: Any, *, bind: bool) -> Target:
    if isinstance(target, Runnable):
        if bind:
            raise TaskRegistrationError(
                "bind=True passes the task to a function as its first argument; a Runnable "
                "has no such parameter"
            )
        return RunnableTarget(target)
    if callable(target):
        return FunctionTarget(target, bind=bind)
    raise TaskRegistrationError(
        f"cannot register {target!r} as a task: expected a function or a LangChain Runnable"
    )
