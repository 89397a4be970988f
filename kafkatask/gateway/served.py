"""ServedTasks: which tasks the gateway serves, and the URL path of each.

A task is served at `/<path>/...`, where `<path>` is its name when the name is made only of
letters, digits and `. - _ ~` (so `demo.answer` is at `/demo.answer/invoke`: dots stay dots,
one path segment per task), and otherwise the name with every other character replaced by
`_`. Two names that would share a path are refused when the gateway is made.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kafkatask.app import App
from kafkatask.exceptions import ConfigurationError
from kafkatask.gateway.schemas import TaskSchemas
from kafkatask.targets import FunctionTarget
from kafkatask.task import Task

_UNSAFE = re.compile(r"[^A-Za-z0-9._~-]")


def path_of(name: str) -> str:
    """The path segment a task name is served at."""
    segment = _UNSAFE.sub("_", name)
    # "." and ".." are not segments a client keeps as they are.
    return "_" * len(segment) if segment in (".", "..") else segment


@dataclass(frozen=True)
class ServedTask:
    task: Task[Any, Any]
    path: str
    schemas: TaskSchemas = field(compare=False)

    @property
    def name(self) -> str:
        return self.task.name

    @property
    def description(self) -> str:
        """A function's docstring, or what kind of Runnable the task is."""
        target = self.task.target
        if isinstance(target, FunctionTarget):
            return inspect.cleandoc(target.fn.__doc__ or "")
        return f"A LangChain {target.runnable.get_name()}."


class ServedTasks:
    """All of the app's tasks, or those named in `expose`."""

    def __init__(self, app: App, expose: Iterable[str] | None = None) -> None:
        names = list(app.registry.names() if expose is None else expose)
        unknown = sorted(name for name in names if name not in app.registry)
        if unknown:
            raise ConfigurationError(
                f"cannot serve {', '.join(unknown)}: no such task is registered (registered: "
                f"{', '.join(app.registry.names()) or 'none'}); import the module that "
                "defines it, or check the name"
            )
        self._by_path: dict[str, ServedTask] = {}
        for name in names:
            task = app.registry.get(name)
            assert task is not None
            self._add(ServedTask(task, path_of(name), TaskSchemas(task)))

    def _add(self, served: ServedTask) -> None:
        taken = self._by_path.get(served.path)
        if taken is not None and taken.name != served.name:
            raise ConfigurationError(
                f"tasks {taken.name!r} and {served.name!r} would both be served at "
                f"/{served.path}; rename one, or serve only one of them (expose=...)"
            )
        self._by_path[served.path] = served

    def at(self, path: str) -> ServedTask | None:
        return self._by_path.get(path)

    def __iter__(self) -> Iterator[ServedTask]:
        return iter(sorted(self._by_path.values(), key=lambda served: served.path))

    def __len__(self) -> int:
        return len(self._by_path)
