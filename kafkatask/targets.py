"""Adapters that let a worker call a plain function and a LangChain Runnable the same way.

A function task is called with the message's args and kwargs; a Runnable task is a guest behind
this adapter: kafkatask calls its `invoke/ainvoke/stream/astream/batch/abatch` with the input
and the config passed explicitly, and never subclasses or changes it.
"""

from __future__ import annotations

import inspect
import sys
import typing
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

from langchain_core.runnables import Runnable, RunnableConfig, RunnableGenerator, RunnableLambda
from langchain_core.utils.pydantic import TypeBaseModel
from pydantic import RootModel, create_model

Call = tuple[list[Any], dict[str, Any]]
"""The positional and keyword arguments of one call."""


class FunctionTarget:
    """A plain (sync or async) function registered as a task.

    A bound function (`bind=True`) gets the run's BoundTask as its first argument; its
    signature, as callers see it, starts after that parameter.
    """

    def __init__(self, fn: Callable[..., Any], *, bind: bool = False) -> None:
        self.fn = fn
        self.bind = bind
        self.is_async = inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn)
        self.signature = _signature(fn, skip_first=bind)

    @property
    def default_name(self) -> str:
        return f"{_module_name(self.fn)}.{self.fn.__qualname__}"

    def call(
        self,
        args: list[Any],
        kwargs: dict[str, Any],
        config: RunnableConfig | None,
        context: Any = None,
    ) -> Any:
        return self.fn(*self._bound(args, context), **kwargs)

    async def acall(
        self,
        args: list[Any],
        kwargs: dict[str, Any],
        config: RunnableConfig | None,
        context: Any = None,
    ) -> Any:
        result = self.fn(*self._bound(args, context), **kwargs)
        return await result if inspect.isawaitable(result) else result

    def stream(
        self,
        args: list[Any],
        kwargs: dict[str, Any],
        config: RunnableConfig | None,
        context: Any = None,
    ) -> Iterator[Any]:
        """A generator function streams what it yields; any other function, its one result."""
        result = self.fn(*self._bound(args, context), **kwargs)
        if inspect.isgenerator(result):
            yield from result
        else:
            yield result

    async def astream(
        self,
        args: list[Any],
        kwargs: dict[str, Any],
        config: RunnableConfig | None,
        context: Any = None,
    ) -> AsyncIterator[Any]:
        result = self.fn(*self._bound(args, context), **kwargs)
        if inspect.isasyncgen(result):
            async for item in result:
                yield item
        elif inspect.isgenerator(result):
            for item in result:
                yield item
        else:
            yield await result if inspect.isawaitable(result) else result

    def _bound(self, args: list[Any], context: Any) -> list[Any]:
        return [context, *args] if self.bind else args

    def batch(self, inputs: list[Any], configs: list[RunnableConfig]) -> list[Any]:
        """A micro-batch: a batching function takes the list of inputs, returns their results."""
        return list(self.fn(inputs))

    async def abatch(self, inputs: list[Any], configs: list[RunnableConfig]) -> list[Any]:
        result = self.fn(inputs)
        return list(await result if inspect.isawaitable(result) else result)

    def as_runnable(self, args: list[Any], kwargs: dict[str, Any]) -> Runnable[Any, Any]:
        """The call as a Runnable, for what only Runnables do (events)."""
        if self.is_async:

            async def bound_async(_: Any) -> Any:
                return await self.acall(args, kwargs, None)

            return RunnableLambda(bound_async, name=self.fn.__name__)
        return RunnableLambda(lambda _: self.call(args, kwargs, None), name=self.fn.__name__)

    def input_to_call(self, value: Any) -> Call:
        """How a Runnable-style single input maps onto the function's parameters.

        A function of one parameter gets the input as that argument; a function of several
        gets a dict input as keyword arguments (like a RunnableLambda over a dict).
        """
        if isinstance(value, dict) and self.signature is not None and len(self._positional()) != 1:
            return [], dict(value)
        return [value], {}

    def parameter_name(self, index: int) -> str | None:
        """The name of the `index`-th positional parameter, for error messages."""
        params = self._positional()
        return params[index].name if index < len(params) else None

    def input_schema(self) -> TypeBaseModel:
        params = self._positional()
        if len(params) == 1 and not self.bind:
            return RunnableLambda(self.fn).get_input_schema()
        if len(params) == 1:
            # (RunnableLambda would describe the first parameter: a bound task's `self`.)
            hint = self._hint(params[0])
            root: TypeBaseModel = create_model(
                f"{self.fn.__name__}Input", __base__=RootModel, root=(hint, ...)
            )
            return root
        fields: dict[str, Any] = {
            p.name: (
                Any if p.annotation is p.empty else p.annotation,
                ... if p.default is p.empty else p.default,
            )
            for p in (self.signature.parameters.values() if self.signature else [])
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        }
        created: TypeBaseModel = create_model(f"{self.fn.__name__}Input", **fields)
        return created

    def output_schema(self) -> TypeBaseModel:
        return RunnableLambda(self.fn).get_output_schema()

    def _hint(self, parameter: inspect.Parameter) -> Any:
        """The parameter's type, its annotation resolved (Any when it has none or cannot be)."""
        try:
            return typing.get_type_hints(self.fn).get(parameter.name, Any)
        except (NameError, TypeError):  # a name only a type checker sees
            return Any

    def _positional(self) -> list[inspect.Parameter]:
        if self.signature is None:
            return []
        kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        return [p for p in self.signature.parameters.values() if p.kind in kinds]


class RunnableTarget:
    """A LangChain Runnable registered as a task: one input, one output.

    Runs on the worker's event loop (LangChain moves sync-only steps to threads itself), unless
    it contains a step that has no async form at all, such as a RunnableGenerator given only a
    sync function: then it runs on the thread pool.
    """

    signature = None

    def __init__(self, runnable: Runnable[Any, Any]) -> None:
        self.runnable = runnable
        self.is_async = _supports_async(runnable)

    @property
    def default_name(self) -> str:
        return self.runnable.get_name()

    def call(
        self,
        args: list[Any],
        kwargs: dict[str, Any],
        config: RunnableConfig | None,
        context: Any = None,
    ) -> Any:
        return self.runnable.invoke(single_input(args, kwargs), config)

    async def acall(
        self,
        args: list[Any],
        kwargs: dict[str, Any],
        config: RunnableConfig | None,
        context: Any = None,
    ) -> Any:
        return await self.runnable.ainvoke(single_input(args, kwargs), config)

    def stream(
        self,
        args: list[Any],
        kwargs: dict[str, Any],
        config: RunnableConfig | None,
        context: Any = None,
    ) -> Iterator[Any]:
        return self.runnable.stream(single_input(args, kwargs), config)

    def astream(
        self,
        args: list[Any],
        kwargs: dict[str, Any],
        config: RunnableConfig | None,
        context: Any = None,
    ) -> AsyncIterator[Any]:
        return self.runnable.astream(single_input(args, kwargs), config)

    def batch(self, inputs: list[Any], configs: list[RunnableConfig]) -> list[Any]:
        return self.runnable.batch(inputs, configs, return_exceptions=True)

    async def abatch(self, inputs: list[Any], configs: list[RunnableConfig]) -> list[Any]:
        return await self.runnable.abatch(inputs, configs, return_exceptions=True)

    def as_runnable(self, args: list[Any], kwargs: dict[str, Any]) -> Runnable[Any, Any]:
        return self.runnable

    def input_to_call(self, value: Any) -> Call:
        return [value], {}

    def parameter_name(self, index: int) -> str | None:
        return "input" if index == 0 else None

    def input_schema(self) -> TypeBaseModel:
        return self.runnable.get_input_schema()

    def output_schema(self) -> TypeBaseModel:
        return self.runnable.get_output_schema()


Target = FunctionTarget | RunnableTarget


def _supports_async(runnable: Runnable[Any, Any]) -> bool:
    try:
        steps = [node.data for node in runnable.get_graph().nodes.values()]
    except Exception:  # a graph LangChain cannot draw says nothing against async
        return True
    return not any(
        isinstance(step, RunnableGenerator) and not hasattr(step, "_atransform") for step in steps
    )


def single_input(args: list[Any], kwargs: dict[str, Any]) -> Any:
    """The one input of a Runnable call, from a message's args and kwargs."""
    if len(args) == 1 and not kwargs:
        return args[0]
    if not args and kwargs:
        return kwargs
    raise TypeError(
        f"a Runnable task takes exactly one input, got {len(args)} positional and "
        f"{len(kwargs)} keyword arguments; pass a single value (a dict for several fields)"
    )


def _signature(fn: Callable[..., Any], skip_first: bool = False) -> inspect.Signature | None:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    if skip_first:
        params = list(signature.parameters.values())[1:]
        signature = signature.replace(parameters=params)
    return signature


def _module_name(fn: Callable[..., Any]) -> str:
    """The importable module name of `fn`, also when it was defined in the main script."""
    module = getattr(fn, "__module__", None) or "__main__"
    if module != "__main__":
        return module
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name:
        return str(spec.name)
    file = getattr(main, "__file__", None)
    return Path(file).stem if file else "__main__"
