"""Adapters that let a worker call a plain function and a LangChain Runnable the same way.

A function task is called with the message's args and kwargs; a Runnable task is a guest behind
this adapter: kafkatask calls its `invoke/ainvoke` with the input and the config passed
explicitly, and never subclasses or changes it.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_core.runnables import Runnable, RunnableConfig


class FunctionTarget:
    """A plain (sync or async) function registered as a task."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.is_async = inspect.iscoroutinefunction(fn)
        self.signature = _signature(fn)

    @property
    def default_name(self) -> str:
        return f"{_module_name(self.fn)}.{self.fn.__qualname__}"

    def call(self, args: list[Any], kwargs: dict[str, Any], config: RunnableConfig | None) -> Any:
        return self.fn(*args, **kwargs)

    async def acall(
        self, args: list[Any], kwargs: dict[str, Any], config: RunnableConfig | None
    ) -> Any:
        return await self.fn(*args, **kwargs)

    def input_to_call(self, value: Any) -> tuple[list[Any], dict[str, Any]]:
        """How a Runnable-style single input maps onto the function's parameters.

        A function of one parameter gets the input as that argument; a function of several
        gets a dict input as keyword arguments (like a RunnableLambda over a dict).
        """
        if self.signature is not None and isinstance(value, dict):
            positional = [
                p
                for p in self.signature.parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            ]
            if len(positional) != 1:
                return [], dict(value)
        return [value], {}

    def parameter_name(self, index: int) -> str | None:
        """The name of the `index`-th positional parameter, for error messages."""
        if self.signature is None:
            return None
        params = [
            p
            for p in self.signature.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        return params[index].name if index < len(params) else None


class RunnableTarget:
    """A LangChain Runnable registered as a task: one input, one output."""

    is_async = True

    def __init__(self, runnable: Runnable[Any, Any]) -> None:
        self.runnable = runnable

    @property
    def default_name(self) -> str:
        return self.runnable.get_name()

    def call(self, args: list[Any], kwargs: dict[str, Any], config: RunnableConfig | None) -> Any:
        return self.runnable.invoke(_single_input(args, kwargs), config)

    async def acall(
        self, args: list[Any], kwargs: dict[str, Any], config: RunnableConfig | None
    ) -> Any:
        return await self.runnable.ainvoke(_single_input(args, kwargs), config)

    def input_to_call(self, value: Any) -> tuple[list[Any], dict[str, Any]]:
        return [value], {}

    def parameter_name(self, index: int) -> str | None:
        return "input" if index == 0 else None


Target = FunctionTarget | RunnableTarget


def _single_input(args: list[Any], kwargs: dict[str, Any]) -> Any:
    if len(args) == 1 and not kwargs:
        return args[0]
    if not args and kwargs:
        return kwargs
    raise TypeError(
        f"a Runnable task takes exactly one input, got {len(args)} positional and "
        f"{len(kwargs)} keyword arguments; pass a single value (a dict for several fields)"
    )


def _signature(fn: Callable[..., Any]) -> inspect.Signature | None:
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        return None


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
