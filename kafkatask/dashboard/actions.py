"""What a user can do from the dashboard (replay, purge, revoke), shared by pages and the API.

Every action is a POST that passed the CsrfGuard. Replays and purges are recorded on the
dead-letter topic with who did it, as `dashboard:<user>@<client address>`; a revoke is a
command on the control topic, which names no one (the dashboard's log line does).
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request

from kafkatask.dashboard.auth import Identity
from kafkatask.dashboard.dead_letters import DeadLetterList
from kafkatask.dashboard.queries import dead_letter_status, text
from kafkatask.dashboard.services import Dashboard
from kafkatask.exceptions import KafkaTaskError

_log = logging.getLogger("kafkatask.dashboard")

ACTIONS = ("replay", "purge")


def dashboard_of(request: Request) -> Dashboard:
    dashboard: Dashboard = request.app.state.dashboard
    return dashboard


def actor(request: Request) -> str:
    identity: Identity = getattr(request.state, "identity", Identity("none", "anonymous"))
    client = request.client.host if request.client else "unknown"
    return f"dashboard:{identity.name}@{client}"


async def list_dead_letters(request: Request) -> tuple[str, DeadLetterList]:
    """The dead letters a page or API request asks for (its status, task and error_type
    parameters), and the status it chose."""
    params = request.query_params
    status, wanted = dead_letter_status(params)
    listing = await run_in_threadpool(
        lambda: dashboard_of(request).dead_letters.listing(
            status=wanted, task=text(params, "task"), error_type=text(params, "error_type")
        )
    )
    return status, listing


def offsets_of(values: list[str] | list[object]) -> list[int]:
    """Dead-letter offsets from a form or a JSON list; 400 when one is not a whole number."""
    offsets = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise HTTPException(400, f"offset {value!r} is not a whole number")
        try:
            offsets.append(int(value))
        except ValueError:
            raise HTTPException(400, f"offset {value!r} is not a whole number") from None
    if not offsets:
        raise HTTPException(400, "choose at least one dead letter (offset)")
    return sorted(set(offsets))


async def act_on_dead_letters(
    request: Request, action: str, offsets: list[int]
) -> dict[str, object]:
    """Replay or purge the unresolved letters at `offsets`; returns what happened."""
    dashboard, by = dashboard_of(request), actor(request)
    try:
        if action == "replay":
            ids = await run_in_threadpool(dashboard.dead_letters.replay, offsets, by)
            return {"action": action, "offsets": offsets, "replayed": ids, "count": len(ids)}
        if action == "purge":
            count = await run_in_threadpool(dashboard.dead_letters.purge, offsets, by)
            return {"action": action, "offsets": offsets, "count": count}
    except KafkaTaskError as error:
        raise HTTPException(409, str(error)) from None
    raise HTTPException(400, f"unknown action {action!r}: use one of {', '.join(ACTIONS)}")


async def revoke(request: Request, task_id: str, terminate: bool) -> dict[str, object]:
    dashboard = dashboard_of(request)
    try:
        await run_in_threadpool(dashboard.revoke, task_id, terminate)
    except KafkaTaskError as error:
        raise HTTPException(503, str(error)) from None
    _log.warning("%s revoked task %s%s", actor(request), task_id, " (terminate)" * terminate)
    return {"revoked": task_id, "terminate": terminate}
