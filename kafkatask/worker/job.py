"""Job: one task request a worker accepted, with everything needed to run and answer it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from langchain_core.runnables import RunnableConfig

from kafkatask.protocol import TaskMessage
from kafkatask.task import Task
from kafkatask.worker.offsets import Receipt


@dataclass(slots=True, eq=False)
class Job:
    receipt: Receipt
    message: TaskMessage
    task: Task[Any, Any]
    args: list[Any]
    kwargs: dict[str, Any]
    key: bytes | None
    config: RunnableConfig | None = None
    received_at: float = field(default_factory=time.time)

    @property
    def id(self) -> str:
        return self.message.id

    @property
    def name(self) -> str:
        return self.message.task

    @property
    def order_key(self) -> tuple[str, int, bytes] | None:
        """The key this job is serialized on, when its task is `ordered` and it has a key."""
        if self.key is None or not self.task.options.ordered:
            return None
        return (*self.receipt.tp, self.key)

    def label(self) -> str:
        return f"{self.name}[{self.id}]"
