"""The HTML pages: overview, workers, tasks (list, one task, its chunks), queues and lag, dead
letters (list, one letter), and the confirmation pages in front of every action."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from kafkatask.dashboard import views
from kafkatask.dashboard.actions import (
    ACTIONS,
    act_on_dead_letters,
    dashboard_of,
    list_dead_letters,
    offsets_of,
    revoke,
)
from kafkatask.dashboard.charts import line_chart
from kafkatask.dashboard.queries import task_query, text
from kafkatask.dashboard.tasks import STATES
from kafkatask.dashboard.templating import PageRenderer


def _render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    renderer: PageRenderer = request.app.state.pages
    return renderer.render(request, name, context, status)


async def overview(request: Request) -> Response:
    data = await run_in_threadpool(views.overview, dashboard_of(request))
    series = data["activity"]["series"]
    charts = [
        line_chart("Succeeded per second", series["succeeded"], "/s", "last 15 min"),
        line_chart("Failed per second", series["failed"], "/s", "last 15 min"),
        line_chart("Retried per second", series["retried"], "/s", "last 15 min"),
        line_chart("Total consumer lag", [t for _, t in data["lag_history"]], "", "recent"),
    ]
    return _render(request, "overview.html", {"data": data, "charts": charts})


async def workers(request: Request) -> Response:
    return _render(request, "workers.html", {"data": views.workers(dashboard_of(request))})


async def tasks(request: Request) -> Response:
    dashboard = dashboard_of(request)
    query = task_query(request.query_params)
    data = views.task_list(dashboard, query)
    filters = {k: v for k, v in request.query_params.items() if k != "page" and v}
    pages = {
        "number": query.offset // query.limit + 1,
        "last": max((data["total"] - 1) // query.limit + 1, 1),
        "link": "/tasks?" + urlencode(filters) + ("&" if filters else "") + "page=",
    }
    context = {
        "data": data,
        "filters": filters,
        "pages": pages,
        "states": STATES,
        "choices": dashboard.state.choices(),
    }
    return _render(request, "tasks.html", context)


async def task(request: Request) -> Response:
    task_id = request.path_params["task_id"]
    found = views.task_detail(dashboard_of(request), task_id)
    if found is None:
        context = {"task_id": task_id}
        return _render(request, "task_missing.html", context, status=404)
    return _render(request, "task.html", {"task": found})


async def task_chunks(request: Request) -> Response:
    dashboard = dashboard_of(request)
    task_id = request.path_params["task_id"]
    found = dashboard.state.task(task_id)
    if found is None:
        return _render(request, "task_missing.html", {"task_id": task_id}, status=404)
    scan = await run_in_threadpool(
        dashboard.streams.scan, task_id, found.first_seen, found.stream_partition
    )
    return _render(request, "chunks.html", {"task": found, "scan": scan, "refresh": 0})


async def revoke_task(request: Request) -> Response:
    task_id = request.path_params["task_id"]
    if request.method == "GET":
        return _render(request, "confirm_revoke.html", {"task_id": task_id, "refresh": 0})
    form = await request.form()
    dashboard_of(request).csrf.check(request, _field(form.get("csrf_token")))
    await revoke(request, task_id, terminate=form.get("terminate") == "yes")
    return RedirectResponse(f"/tasks/{task_id}?done=revoked", status_code=303)


async def queues(request: Request) -> Response:
    data = views.queues(dashboard_of(request))
    chart = line_chart("Total consumer lag", [t for _, t in data["history"]], "", "recent")
    return _render(request, "queues.html", {"data": data, "chart": chart})


async def dead_letters(request: Request) -> Response:
    params = request.query_params
    status, listing = await list_dead_letters(request)
    context = {
        "data": views.dead_letters(listing),
        "status": status,
        "done": text(params, "done"),
        "refresh": 0,  # reading the dead-letter topic is not free: refresh by hand
    }
    return _render(request, "dead_letters.html", context)


async def dead_letter(request: Request) -> Response:
    offset = request.path_params["offset"]
    entry = await run_in_threadpool(dashboard_of(request).dead_letters.get, offset)
    if entry is None:
        raise HTTPException(404, f"no dead letter at offset {offset}")
    context = {"letter": views.dead_letter(entry), "refresh": 0}
    return _render(request, "dead_letter.html", context)


async def confirm(request: Request) -> Response:
    """The page in front of replay and purge: what will happen, and the button to do it."""
    action = text(request.query_params, "action") or ""
    if action not in ACTIONS:
        raise HTTPException(400, f"unknown action {action!r}: use one of {', '.join(ACTIONS)}")
    offsets = offsets_of(request.query_params.getlist("offset"))
    dashboard = dashboard_of(request)
    found = [await run_in_threadpool(dashboard.dead_letters.get, o) for o in offsets]
    letters = [views.dead_letter(entry, full=False) for entry in found if entry is not None]
    context = {"action": action, "letters": letters, "refresh": 0}
    return _render(request, "confirm.html", context)


async def act(request: Request) -> Response:
    form = await request.form()
    dashboard_of(request).csrf.check(request, _field(form.get("csrf_token")))
    action = request.path_params["action"]
    offsets = offsets_of([_field(value) or "" for value in form.getlist("offset")])
    outcome = await act_on_dead_letters(request, action, offsets)
    done = f"{_PAST[action]} {outcome['count']}"
    return RedirectResponse("/dead-letters?" + urlencode({"done": done}), status_code=303)


_PAST = {"replay": "replayed", "purge": "purged"}


def _field(value: object) -> str | None:
    return value if isinstance(value, str) else None


def routes() -> list[BaseRoute]:
    return [
        Route("/", overview),
        Route("/workers", workers),
        Route("/tasks", tasks),
        Route("/tasks/{task_id}", task),
        Route("/tasks/{task_id}/chunks", task_chunks),
        Route("/tasks/{task_id}/revoke", revoke_task, methods=["GET", "POST"]),
        Route("/queues", queues),
        Route("/dead-letters", dead_letters),
        Route("/dead-letters/confirm", confirm),
        Route("/dead-letters/{offset:int}", dead_letter),
        Route("/dead-letters/{action}", act, methods=["POST"]),
    ]
