"""TaskOptions: how one task is routed and run, fixed at registration."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class TaskOptions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    name: str = Field(min_length=1)
    queue: str = Field(pattern=r"^[A-Za-z0-9._-]+$")
    ordered: bool = False
    """Never run two messages with the same key at once on a worker; run them in offset order."""
    track_started: bool = False
    """Report RECEIVED and STARTED to the caller (one more reply message per state)."""
    ignore_result: bool = False
    """Send no result at all: fire and forget."""
    batch_size: int = Field(default=1, ge=1)
    """Micro-batching: run up to this many pending invoke requests with one `batch` call."""
    batch_window_ms: float = Field(default=50.0, gt=0)
    """How long the first request of a micro-batch waits for the others."""
    bind: bool = False
    """Pass the run's BoundTask (`self.request`, `self.retry()`) as the first argument."""
    extra: dict[str, Any] = Field(default_factory=dict)
    """Options owned by middleware (retries, rate limits, ...), validated by them."""
