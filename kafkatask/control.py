"""app.control: commands to every worker, through the `<ns>.control` topic.

`app.control.revoke(task_id)` tells all workers not to run the task (a task already waiting
in a queue, a delay topic or a worker's memory is answered REVOKED instead); with
`terminate=True` a running task is interrupted too (an async task is cancelled, a sync one gets
TaskRevokedError at its next Python instruction). Workers read the control topic from a little
before they started, so a worker that starts after the revoke still knows about it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from kafkatask.protocol import Envelope, MessageKind, encode, headers_for

if TYPE_CHECKING:
    from kafkatask.app import App


class ControlMessage(Envelope):
    """A command for every worker of a namespace."""

    action: Literal["revoke"]
    task_ids: list[str] = Field(min_length=1)
    terminate: bool = False
    ts: float = Field(default_factory=time.time)


class Control:
    def __init__(self, app: App) -> None:
        self._app = app

    def revoke(self, task_ids: str | Iterable[str], terminate: bool = False) -> None:
        """Cancel tasks that have not started (and, with terminate, ones that are running)."""
        ids = [task_ids] if isinstance(task_ids, str) else list(task_ids)
        message = ControlMessage(action="revoke", task_ids=ids, terminate=terminate)
        connection = self._app.connection
        connection.send_control(
            encode(message, connection.codec), headers_for(MessageKind.CONTROL, connection.codec)
        )
