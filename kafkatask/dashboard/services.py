"""Dashboard: the parts of one dashboard (state, readers, collectors, actions) for one App.

`create_app(Dashboard(app))` serves it; the Starlette lifespan starts and stops the background
threads (the event reader and the lag collector).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Protocol

from kafkatask.app import App
from kafkatask.dashboard.auth import Credentials
from kafkatask.dashboard.csrf import CsrfGuard
from kafkatask.dashboard.dead_letters import DeadLetterBrowser
from kafkatask.dashboard.event_reader import EventReader
from kafkatask.dashboard.lag import LagCollector, LagSnapshot
from kafkatask.dashboard.state import DashboardState
from kafkatask.dashboard.streams import StreamChunkScanner
from kafkatask.dlq import DeadLetterQueue


class LagSource(Protocol):
    """What the pages need of a LagCollector."""

    interval: float

    def start(self) -> None: ...

    def stop(self, timeout: float = 10.0) -> None: ...

    def snapshot(self) -> LagSnapshot: ...

    def history(self) -> list[tuple[float, int]]: ...


class Dashboard:
    """Everything one dashboard needs, built from the App's settings.

    Args:
        app: the application whose namespace (and tasks, for revoke and replay) to show.
        window: recent tasks kept in memory (default: settings.dashboard_window).
        lag_interval: seconds between consumer lag samples.
        refresh: seconds between live updates of an open page.
        credentials: who may see it (default: from the settings).
        lag, dead_letter_queue, clock: replacements, for tests.
    """

    def __init__(
        self,
        app: App,
        *,
        window: int | None = None,
        lag_interval: float = 5.0,
        refresh: float = 2.0,
        credentials: Credentials | None = None,
        lag: LagSource | None = None,
        dead_letter_queue: DeadLetterQueue | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        settings = app.settings
        self.app = app
        self.refresh = refresh
        self.client_id = f"{app.name}-dashboard@{socket.gethostname()}"
        self.state = DashboardState(
            window or settings.dashboard_window, settings.heartbeat_interval, clock
        )
        self.credentials = credentials or Credentials.from_settings(settings)
        self.csrf = CsrfGuard()
        self.lag: LagSource = lag or LagCollector(
            settings, self.client_id, lag_interval, members=self.state.online_workers
        )
        self.dead_letters = DeadLetterBrowser(app, dead_letter_queue)
        self.streams = StreamChunkScanner(settings, self.client_id)
        self._events = EventReader(settings, self.state, self.client_id)

    @property
    def namespace(self) -> str:
        return self.app.settings.namespace

    def start(self) -> None:
        """Start reading events and collecting lag in the background."""
        self._events.start()
        self.lag.start()

    def stop(self) -> None:
        self._events.stop()
        self.lag.stop()
        self.app.close()

    def revoke(self, task_id: str, terminate: bool) -> None:
        """Tell every worker not to run the task (and with `terminate`, to interrupt it)."""
        self.app.control.revoke(task_id, terminate=terminate)
