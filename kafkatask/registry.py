"""TaskRegistry: the tasks an app knows, by name; one name, one task."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from kafkatask.exceptions import TaskRegistrationError

if TYPE_CHECKING:
    from kafkatask.task import Task


class TaskRegistry:
    def __init__(self) -> None:
        self._tasks: dict[str, Task[Any, Any]] = {}

    def register(self, task: Task[Any, Any]) -> None:
        existing = self._tasks.get(task.name)
        if existing is not None:
            raise TaskRegistrationError(
                f"a task named {task.name!r} is already registered ({existing.describe()}); "
                f"pass name='...' to register {task.describe()} under another name"
            )
        self._tasks[task.name] = task

    def get(self, name: str) -> Task[Any, Any] | None:
        return self._tasks.get(name)

    def names(self) -> list[str]:
        return sorted(self._tasks)

    def __contains__(self, name: object) -> bool:
        return name in self._tasks

    def __iter__(self) -> Iterator[Task[Any, Any]]:
        return iter(self._tasks.values())

    def __len__(self) -> int:
        return len(self._tasks)
