"""TaskWindow: the most recent tasks, at most `capacity` of them, newest last.

A task enters the window with its first event and leaves it when `capacity` newer tasks have
entered after it; memory is bounded by the capacity whatever streams through. Not thread-safe
on its own: DashboardState serializes access.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

from kafkatask.dashboard.tasks import TaskSnapshot, apply_event, task_key
from kafkatask.protocol import TaskEvent

MAX_PAGE = 1_000


@dataclass(frozen=True)
class TaskQuery:
    """Which tasks a list shows: every filter is optional; `search` matches part of the id."""

    name: str | None = None
    state: str | None = None
    worker: str | None = None
    since: float | None = None
    until: float | None = None
    search: str | None = None
    limit: int = 100
    offset: int = 0

    def matches(self, task: TaskSnapshot) -> bool:
        return (
            (self.name is None or task.name == self.name)
            and (self.state is None or task.state == self.state)
            and (self.worker is None or task.worker == self.worker)
            and (self.since is None or task.first_seen >= self.since)
            and (self.until is None or task.first_seen <= self.until)
            and (self.search is None or self.search in task.id)
        )


@dataclass(frozen=True)
class TaskPage:
    """One page of a task list: `total` tasks matched, `tasks` are those on this page."""

    total: int
    tasks: list[TaskSnapshot]
    query: TaskQuery


class TaskWindow:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._tasks: OrderedDict[str, TaskSnapshot] = OrderedDict()
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._tasks)

    def __iter__(self) -> Iterator[TaskSnapshot]:
        return iter(self._tasks.values())

    def apply(self, event: TaskEvent) -> TaskSnapshot:
        """Fold a task event (with a task id) into its task; the task enters when new."""
        assert event.task_id is not None
        task = apply_event(self._tasks.get(task_key(event.task_id)), event)
        self._tasks[task.id] = task
        while len(self._tasks) > self.capacity:
            self._tasks.popitem(last=False)
            self.evicted += 1
        return task

    def get(self, task_id: str) -> TaskSnapshot | None:
        return self._tasks.get(task_id)

    def select(self, query: TaskQuery) -> TaskPage:
        """The tasks matching `query`, newest first, one page of them."""
        exact = self._tasks.get(query.search) if query.search else None
        if exact is not None and query.matches(exact):
            return TaskPage(1, [exact] if query.offset == 0 else [], query)
        matching = 0
        page: list[TaskSnapshot] = []
        end = query.offset + min(max(query.limit, 0), MAX_PAGE)
        for task in reversed(self._tasks.values()):
            if not query.matches(task):
                continue
            if query.offset <= matching < end:
                page.append(task)
            matching += 1
        return TaskPage(matching, page, query)

    def counts_by_state(self) -> Counter[str]:
        return Counter(task.state for task in self._tasks.values())

    def names(self) -> list[str]:
        return sorted({task.name for task in self._tasks.values() if task.name})

    def worker_ids(self) -> list[str]:
        return sorted({task.worker for task in self._tasks.values()})
