"""Reading list filters from a URL's query string, the same way for pages and the API.

Times are either seconds since the epoch (`since=1767322800`) or an age (`since=15m`: tasks
first seen in the last 15 minutes). A value that does not parse is a 400, not a silent default.
"""

from __future__ import annotations

import math
import re
import time

from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException

from kafkatask.dashboard.tasks import STATES
from kafkatask.dashboard.window import MAX_PAGE, TaskQuery
from kafkatask.dlq import Status

STATUSES: tuple[Status, ...] = ("dead", "replayed", "purged")

_AGE = re.compile(r"^(\d+(?:\.\d+)?)(s|m|h|d)$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
PAGE_SIZE = 100


def text(params: QueryParams, name: str) -> str | None:
    """A parameter's value, None when absent or blank."""
    value = params.get(name, "").strip()
    return value or None


def moment(params: QueryParams, name: str, now: float | None = None) -> float | None:
    value = text(params, name)
    if value is None:
        return None
    age = _AGE.match(value)
    if age is not None:
        return (time.time() if now is None else now) - float(age[1]) * _SECONDS[age[2]]
    try:
        seconds = float(value)
        if not math.isfinite(seconds):
            raise ValueError(value)
        return seconds
    except ValueError:
        raise HTTPException(
            400, f"{name}={value!r}: give seconds since the epoch or an age like 15m, 2h, 1d"
        ) from None


def whole(params: QueryParams, name: str, default: int, low: int, high: int) -> int:
    value = text(params, name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise HTTPException(400, f"{name}={value!r} is not a whole number") from None
    if not low <= number <= high:
        raise HTTPException(400, f"{name} must be between {low} and {high}")
    return number


def task_query(params: QueryParams) -> TaskQuery:
    state = text(params, "state")
    if state is not None and state.upper() not in STATES:
        raise HTTPException(400, f"state={state!r} is not one of {', '.join(STATES)}")
    limit = whole(params, "limit", PAGE_SIZE, 1, MAX_PAGE)
    page = whole(params, "page", 1, 1, 1_000_000)
    return TaskQuery(
        name=text(params, "name"),
        state=state.upper() if state else None,
        worker=text(params, "worker"),
        since=moment(params, "since"),
        until=moment(params, "until"),
        search=text(params, "search"),
        limit=limit,
        offset=(page - 1) * limit,
    )


def dead_letter_status(params: QueryParams) -> tuple[str, Status | None]:
    """The `status` filter of the dead-letter list (default "dead"), and as a DlqFilter wants
    it (None for "all")."""
    status = text(params, "status") or "dead"
    if status == "all":
        return status, None
    for known in STATUSES:
        if status == known:
            return status, known
    raise HTTPException(400, f"status={status!r}: use dead, replayed, purged or all")
