"""RemoteRunnable: the LangChain Runnable side of a task handle; every call goes through Kafka.

`invoke` sends one task and waits for its result; `batch` sends one task per input, spread over
the queue's partitions so every worker helps, and reassembles the results in input order;
`stream` has the worker run the Runnable's own stream and yields its chunks as they arrive;
`astream_events` (v2) forwards the events of the steps that run on the worker.

The caller's callbacks see one run per remote call: its input, then its output or error (and,
for `stream`, each output chunk). The steps inside the remote Runnable run on the worker and
are not reported to the caller's callbacks; `astream_events` shows them.
"""

from __future__ import annotations

import asyncio
import functools
import queue
import random
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, Generic, TypeVar

from langchain_core.callbacks import AsyncCallbackManagerForChainRun, CallbackManagerForChainRun
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.config import ensure_config
from langchain_core.runnables.schema import StreamEvent
from langchain_core.runnables.utils import ConfigurableFieldSpec
from langchain_core.utils.pydantic import TypeBaseModel

from kafkatask.exceptions import TaskTimeoutError
from kafkatask.result import AsyncResult
from kafkatask.streaming import Aggregate

R = TypeVar("R")


class RemoteRunnable(Runnable[Any, R], Generic[R]):
    """Runnable behaviour on top of `_send_input`, which subclasses provide."""

    # -- provided by Task ----------------------------------------------------------------

    def _send_input(
        self,
        input: Any,
        config: RunnableConfig | None,
        *,
        mode: str = "invoke",
        partition: int | None = None,
    ) -> AsyncResult[R]:
        raise NotImplementedError

    async def _asend_input(
        self,
        input: Any,
        config: RunnableConfig | None,
        *,
        mode: str = "invoke",
        partition: int | None = None,
    ) -> AsyncResult[R]:
        """`_send_input` off the event loop: the first call connects and may create topics."""
        return await asyncio.to_thread(
            functools.partial(self._send_input, input, config, mode=mode, partition=partition)
        )

    def _partitions(self) -> int:
        raise NotImplementedError

    def _check_input(self, input: Any) -> None:
        """Raise when `input` does not fit the remote Runnable's input schema."""

    def _remote_schema(self, which: str) -> TypeBaseModel:
        raise NotImplementedError

    def _remote_config_specs(self) -> list[ConfigurableFieldSpec]:
        return []

    @property
    def _timeout(self) -> float | None:
        return None

    # -- invoke --------------------------------------------------------------------------

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> R:
        """Run the task remotely on `input` and wait for its result."""
        return self._call_with_config(self._invoke_remote, input, config, **kwargs)

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> R:
        return await self._acall_with_config(self._ainvoke_remote, input, config, **kwargs)

    def _invoke_remote(
        self, input: Any, run_manager: CallbackManagerForChainRun, config: RunnableConfig
    ) -> R:
        return self._send_input(input, config).get(timeout=self._timeout)

    async def _ainvoke_remote(
        self, input: Any, run_manager: AsyncCallbackManagerForChainRun, config: RunnableConfig
    ) -> R:
        return await (await self._asend_input(input, config)).aget(timeout=self._timeout)

    # -- batch: fan out over the partitions, fan back in, in order -----------------------

    def batch(
        self,
        inputs: list[Any],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[R]:
        if not inputs:
            return []
        if not return_exceptions:
            # One bad input fails the whole call: fail before sending any of them.
            for value in inputs:
                self._check_input(value)
        return self._batch_with_config(
            self._batch_remote, inputs, config, return_exceptions=return_exceptions, **kwargs
        )

    async def abatch(
        self,
        inputs: list[Any],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[R]:
        if not inputs:
            return []
        if not return_exceptions:
            for value in inputs:
                self._check_input(value)
        return await self._abatch_with_config(
            self._abatch_remote, inputs, config, return_exceptions=return_exceptions, **kwargs
        )

    def _batch_remote(
        self,
        inputs: list[Any],
        run_manager: list[CallbackManagerForChainRun],
        config: list[RunnableConfig],
    ) -> list[R | Exception]:
        # (LangChain passes these by keyword: each list has one entry per input.)
        configs = config
        spread = _Spread(self._partitions())
        limit = configs[0].get("max_concurrency") or len(inputs)
        results: list[R | Exception] = [None] * len(inputs)  # type: ignore[list-item]
        finished: queue.SimpleQueue[int] = queue.SimpleQueue()
        waiting = list(range(len(inputs)))
        in_flight: dict[int, AsyncResult[R]] = {}

        def send_next() -> None:
            index = waiting.pop(0)
            try:
                handle = self._send_input(inputs[index], configs[index], partition=spread.next())
            except Exception as error:  # bad input for this item only
                results[index] = error
                finished.put(index)
                return
            in_flight[index] = handle
            handle.on_ready(lambda: finished.put(index))

        while waiting and len(in_flight) < limit:
            send_next()
        for _ in range(len(inputs)):
            try:
                index = finished.get(timeout=self._timeout)
            except queue.Empty:
                # Nothing finished within the timeout: what is still out times out in its
                # place, what was never sent says so; the items that finished keep their result.
                for late, out in in_flight.items():
                    results[late] = out.timeout_error(self._timeout)
                for unsent in waiting:
                    results[unsent] = TaskTimeoutError(
                        f"item {unsent} of the batch was not sent: the batch timed out "
                        f"after {self._timeout}s waiting for earlier items"
                    )
                return results
            handle = in_flight.pop(index, None)
            if handle is not None:
                results[index] = handle.get(timeout=0, propagate=False)
            while waiting and len(in_flight) < limit:
                send_next()
        return results

    async def _abatch_remote(
        self,
        inputs: list[Any],
        run_manager: list[AsyncCallbackManagerForChainRun],
        config: list[RunnableConfig],
    ) -> list[R | Exception]:
        configs = config
        spread = _Spread(await asyncio.to_thread(self._partitions))
        limit = asyncio.Semaphore(configs[0].get("max_concurrency") or len(inputs))

        async def one(index: int) -> R | Exception:
            async with limit:
                try:
                    handle = await self._asend_input(
                        inputs[index], configs[index], partition=spread.next()
                    )
                except Exception as error:
                    return error
                try:
                    return await handle.aget(timeout=self._timeout, propagate=False)
                except TaskTimeoutError as error:  # this item only; the others keep theirs
                    return error

        return list(await asyncio.gather(*(one(i) for i in range(len(inputs)))))

    # -- stream ----------------------------------------------------------------------------

    def stream(
        self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[R]:
        yield from self._transform_stream_with_config(
            iter([input]), self._stream_remote, config, **kwargs
        )

    async def astream(
        self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[R]:
        async for chunk in self._atransform_stream_with_config(
            _one(input), self._astream_remote, config, **kwargs
        ):
            yield chunk

    def _stream_remote(
        self,
        inputs: Iterator[Any],
        run_manager: CallbackManagerForChainRun,
        config: RunnableConfig,
    ) -> Iterator[R]:
        # A worker needs the whole input before it starts: input chunks are added up first.
        whole = Aggregate()
        for chunk in inputs:
            whole.add(chunk)
        handle = self._send_input(whole.value, config, mode="stream")
        chunks = handle.stream(timeout=self._timeout)
        try:
            yield from chunks
        finally:
            chunks.close()

    async def _astream_remote(
        self,
        inputs: AsyncIterator[Any],
        run_manager: AsyncCallbackManagerForChainRun,
        config: RunnableConfig,
    ) -> AsyncIterator[R]:
        whole = Aggregate()
        async for chunk in inputs:
            whole.add(chunk)
        handle = await self._asend_input(whole.value, config, mode="stream")
        async for chunk in handle.astream(timeout=self._timeout):
            yield chunk

    # -- events ----------------------------------------------------------------------------

    async def astream_events(  # type: ignore[override]
        self,
        input: Any,
        config: RunnableConfig | None = None,
        *,
        version: str = "v2",
        include_names: Sequence[str] | None = None,
        include_types: Sequence[str] | None = None,
        include_tags: Sequence[str] | None = None,
        exclude_names: Sequence[str] | None = None,
        exclude_types: Sequence[str] | None = None,
        exclude_tags: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[StreamEvent]:
        """The events of the Runnable as it runs on the worker, rooted at the caller's run_id."""
        if version != "v2":
            raise NotImplementedError(
                f"remote tasks stream events in version 'v2' only, not {version!r}"
            )
        config = ensure_config(config)
        config["run_id"] = config.get("run_id") or uuid.uuid4()
        wanted = EventFilter(
            include_names, include_types, include_tags, exclude_names, exclude_types, exclude_tags
        )
        handle = await self._asend_input(input, config, mode="events")
        async for event in handle.astream(timeout=self._timeout):
            if wanted(event):
                yield event

    # -- schemas ---------------------------------------------------------------------------

    def get_input_schema(self, config: RunnableConfig | None = None) -> TypeBaseModel:
        return self._remote_schema("input")

    def get_output_schema(self, config: RunnableConfig | None = None) -> TypeBaseModel:
        return self._remote_schema("output")

    @property
    def config_specs(self) -> list[ConfigurableFieldSpec]:
        return self._remote_config_specs()


class _Spread:
    """Round-robin over a queue's partitions from a random start, so every worker gets a share.

    (With no key, librdkafka's sticky partitioner would put a whole batch on one partition.)
    """

    def __init__(self, partitions: int) -> None:
        self._partitions = partitions
        self._next = random.randrange(partitions)

    def next(self) -> int:
        partition = self._next
        self._next = (self._next + 1) % self._partitions
        return partition


class EventFilter:
    """astream_events' include/exclude filters: names, run types and tags."""

    def __init__(self, *filters: Sequence[str] | None) -> None:
        sets = [set(f) if f is not None else None for f in filters]
        self._include = sets[:3]
        self._exclude = sets[3:]

    def __call__(self, event: dict[str, Any]) -> bool:
        facets = [
            {event.get("name")},
            {event["event"][3:].rsplit("_", 1)[0]},
            set(event.get("tags", [])),
        ]
        includes = [
            (want, have)
            for want, have in zip(self._include, facets, strict=True)
            if want is not None
        ]
        if includes and not any(want & have for want, have in includes):
            return False
        return not any(
            want & have
            for want, have in zip(self._exclude, facets, strict=True)
            if want is not None
        )


async def _one(value: Any) -> AsyncIterator[Any]:
    yield value
