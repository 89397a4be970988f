"""Gateway: everything one gateway needs for one App, made once by `create_app`.

It holds no state another gateway process would need: what a request needs to know about a
task it did not send (where its result and stream are) is in the task's id (ids.py), and the
rest is in Kafka. What it does keep is this process's own: the rate buckets of the API keys,
and how many of its clients follow each stream (for `cancel_on_disconnect`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Callable, Iterable
from typing import Any

from starlette.requests import HTTPConnection

from kafkatask.app import App
from kafkatask.gateway.auth import ANYONE, Caller
from kafkatask.gateway.errors import GatewayError, unknown_task
from kafkatask.gateway.ids import cursor_after, locate, stream_start
from kafkatask.gateway.keys import KeyRing, Right
from kafkatask.gateway.quotas import Quotas
from kafkatask.gateway.sending import Sender
from kafkatask.gateway.served import ServedTask, ServedTasks
from kafkatask.gateway.settings import GatewaySettings
from kafkatask.gateway.streams import Followers, StreamEvent, stream_events
from kafkatask.streaming import AsyncChunkStream, StreamCursor

_log = logging.getLogger("kafkatask.gateway")


class Gateway:
    """The served tasks, who may call them, how tasks are sent, and this process's followers.

    Args:
        app: the App whose tasks are served; tasks are sent through its client.
        expose: the names of the tasks to serve (default: every registered task).
        settings: the gateway's settings (default: from `KAFKATASK_GATEWAY_*`).
    """

    def __init__(
        self,
        app: App,
        *,
        expose: Iterable[str] | None = None,
        settings: GatewaySettings | None = None,
    ) -> None:
        self.app = app
        self.settings = settings or GatewaySettings()
        self.keys = KeyRing.from_settings(self.settings.keys, self.settings.keys_file)
        self.quotas = Quotas()
        self.tasks = ServedTasks(app, expose)
        self.sender = Sender(app)
        self.followers = Followers()
        self.results_topic = app.topology.names.results
        self.streams_topic = app.topology.names.streams
        self._background: set[asyncio.Task[Any]] = set()

    def caller(self, connection: HTTPConnection) -> Caller:
        """The caller GatewayAuth found for this request (anyone, when it did not run)."""
        caller: Caller = connection.scope.get("state", {}).get("caller", ANYONE)
        return caller

    def served(self, caller: Caller, path: str, right: Right | None) -> ServedTask:
        """The task served at `path`, if `caller` may use it with `right` (None: any right).

        404 for a path no task is served at (listing, to a caller with a key, the tasks it may
        call), 403 for a task or a right the caller's key does not have.
        """
        served = self.tasks.at(path)
        if served is None:
            raise unknown_task(path, self.callable_paths(caller) if caller.key else None)
        if not caller.may_call(served.name):
            raise GatewayError(403, f"API key {caller.name!r} may not call task {served.name}")
        if right is not None and not caller.may(right):
            raise GatewayError(403, f"API key {caller.name!r} may not {right} task {served.name}")
        return served

    def callable_paths(self, caller: Caller) -> list[str]:
        return [served.path for served in self.tasks if caller.may_call(served.name)]

    def stream_cursor(self, task_id: str, last_event_id: str | None) -> StreamCursor:
        """Where to read a stream: right after the event `last_event_id`, else from its
        first record (which only a gateway task id says); 400 or 404 when neither can be."""
        location = locate(task_id)
        start = stream_start(task_id, self.streams_topic, location) if location else None
        if not last_event_id:
            if start is None:
                raise GatewayError(
                    404,
                    f"task {task_id!r} was not streamed through a gateway: its stream can only "
                    "be read from an event id (Last-Event-ID or ?after=)",
                )
            return start
        try:
            cursor = cursor_after(last_event_id, task_id, self.streams_topic)
        except ValueError as error:
            raise GatewayError(400, str(error)) from None
        if start is not None and (
            cursor.partition != start.partition or cursor.offset < start.offset
        ):  # the id says where the stream is: an event id elsewhere is not one of its events
            raise GatewayError(400, f"{last_event_id!r} is not an event of task {task_id}")
        return cursor

    def events(
        self,
        served: ServedTask,
        task_id: str,
        chunks: AsyncChunkStream,
        keep: Callable[[Any], bool] | None = None,
    ) -> AsyncGenerator[StreamEvent, None]:
        """The events of a stream of `served` (streams.py), with this gateway's settings."""
        return stream_events(
            chunks,
            task_id=task_id,
            task=served.name,
            settings=self.settings,
            keep=keep,
        )

    def revoke_soon(self, task_id: str) -> None:
        """Revoke a task (interrupting it if it runs) in the background."""
        revoking = asyncio.get_running_loop().create_task(
            asyncio.to_thread(self.app.control.revoke, task_id, terminate=True)
        )
        self._background.add(revoking)
        revoking.add_done_callback(self._revoked)

    def _revoked(self, revoking: asyncio.Task[Any]) -> None:
        self._background.discard(revoking)
        if not revoking.cancelled() and revoking.exception() is not None:
            _log.error("could not revoke an abandoned stream's task: %s", revoking.exception())

    async def close(self) -> None:
        """Wait for revokes under way, then close the App's client."""
        if self._background:
            await asyncio.wait(set(self._background), timeout=self.app.settings.delivery_timeout)
        await asyncio.to_thread(self.app.close)
