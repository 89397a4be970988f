"""Sender: how the gateway sends tasks, through the App's client, never blocking its loop.

Sending runs on a thread: the first send opens the client's connection (which waits for the
broker up to `connect_timeout`) and the first send to a queue creates its topic. While the
broker is away, requests that arrive together share one connection attempt, so each is
answered 503 within the connect timeout rather than queueing behind the others' attempts.
Every task gets a gateway task id (ids.py), so any gateway process can find its result and
its stream; the caller's key name goes in its headers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from langchain_core.runnables import RunnableConfig

from kafkatask.app import App
from kafkatask.exceptions import BrokerUnavailableError, PublishError
from kafkatask.gateway.errors import REFUSED_INPUT, GatewayError, refused_input
from kafkatask.gateway.ids import new_task_id
from kafkatask.gateway.served import ServedTask
from kafkatask.protocol import CALLER_HEADER, TaskMode
from kafkatask.result import AsyncResult

Handle = AsyncResult[Any]


class Sender:
    def __init__(self, app: App) -> None:
        self._app = app
        self._connected = False
        self._attempt: asyncio.Future[None] | None = None

    async def send(
        self,
        served: ServedTask,
        value: Any,
        config: RunnableConfig,
        *,
        caller: str | None,
        mode: TaskMode = "invoke",
    ) -> Handle:
        """Send one input; 503 when Kafka does not answer, 413/422 when the input cannot go."""
        [handle] = await self.send_all(served, [value], [config], caller=caller, mode=mode)
        return handle

    async def send_all(
        self,
        served: ServedTask,
        values: Sequence[Any],
        configs: Sequence[RunnableConfig],
        *,
        caller: str | None,
        mode: TaskMode = "invoke",
    ) -> list[Handle]:
        """Send one task per input (a batch: one thread hop for all of them)."""
        await self._connect()
        headers = {CALLER_HEADER: caller} if caller is not None else {}
        try:
            return await asyncio.to_thread(self._send_now, served, values, configs, headers, mode)
        except (BrokerUnavailableError, PublishError) as error:
            raise GatewayError(503, str(error)) from None

    def _send_now(
        self,
        served: ServedTask,
        values: Sequence[Any],
        configs: Sequence[RunnableConfig],
        headers: dict[str, str],
        mode: TaskMode,
    ) -> list[Handle]:
        app = self._app
        offsets = app.reply_offsets()
        results = (app.reply_to().partition, offsets.results)
        streams = (app.stream_to().partition, offsets.streams) if mode != "invoke" else None
        handles = []
        for index, (value, config) in enumerate(zip(values, configs, strict=True)):
            task_id = new_task_id(results, streams)
            try:
                handle = served.task.send_input(
                    value, config, mode=mode, task_id=task_id, headers=headers
                )
            except REFUSED_INPUT as error:
                where = "input" if len(values) == 1 else f"inputs.{index}"
                raise refused_input(error, where) from None
            handles.append(handle)
        return handles

    async def _connect(self) -> None:
        """Open the client's connection once; concurrent first requests share the attempt."""
        if self._connected:
            return
        if self._attempt is None:
            self._attempt = asyncio.ensure_future(asyncio.to_thread(self._open))
            self._attempt.add_done_callback(self._settle)
        try:
            await asyncio.shield(self._attempt)
        except BrokerUnavailableError as error:
            raise GatewayError(503, str(error)) from None

    def _open(self) -> None:
        self._app.connection  # noqa: B018 - opening it is the point

    def _settle(self, attempt: asyncio.Future[None]) -> None:
        if attempt.cancelled() or attempt.exception() is not None:
            self._attempt = None  # the next request tries again
        else:
            self._connected = True
