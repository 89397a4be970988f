"""The JSON API: the data of every page (see views.py) and the actions, under /api.

Documented in docs/dashboard.md; `GET /api` lists the routes. Actions are POSTs with a JSON
body and, unless authenticated with a bearer token, the CSRF header (see csrf.py).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from kafkatask.dashboard import views
from kafkatask.dashboard.actions import (
    act_on_dead_letters,
    dashboard_of,
    list_dead_letters,
    offsets_of,
    revoke,
)
from kafkatask.dashboard.queries import task_query


async def index(request: Request) -> JSONResponse:
    """Every API route, e.g. "GET /api/tasks/{task_id}" (docs/dashboard.md explains them)."""
    listed = [
        f"{' '.join(sorted((route.methods or set()) - {'HEAD'}))} {route.path}"
        for route in routes()
        if isinstance(route, Route)
    ]
    return JSONResponse({"routes": listed})


async def overview(request: Request) -> JSONResponse:
    return JSONResponse(await run_in_threadpool(views.overview, dashboard_of(request)))


async def workers(request: Request) -> JSONResponse:
    return JSONResponse(views.workers(dashboard_of(request)))


async def tasks(request: Request) -> JSONResponse:
    query = task_query(request.query_params)
    return JSONResponse(views.task_list(dashboard_of(request), query))


async def task(request: Request) -> JSONResponse:
    task_id = request.path_params["task_id"]
    found = views.task_detail(dashboard_of(request), task_id)
    if found is None:
        raise HTTPException(404, f"no task {task_id} in the window of recent tasks")
    return JSONResponse(found)


async def task_chunks(request: Request) -> JSONResponse:
    dashboard = dashboard_of(request)
    task_id = request.path_params["task_id"]
    found = dashboard.state.task(task_id)
    if found is None:
        raise HTTPException(404, f"no task {task_id} in the window of recent tasks")
    scan = await run_in_threadpool(
        dashboard.streams.scan, task_id, found.first_seen, found.stream_partition
    )
    return JSONResponse(
        {
            "task_id": task_id,
            "complete": scan.complete,
            "scanned": scan.scanned,
            "chunks": [dataclasses.asdict(chunk) for chunk in scan.chunks],
        }
    )


async def revoke_task(request: Request) -> JSONResponse:
    body = await _json(request)
    dashboard_of(request).csrf.check(request, None)
    terminate = body.get("terminate", False)
    if not isinstance(terminate, bool):
        raise HTTPException(400, "terminate must be true or false")
    return JSONResponse(await revoke(request, request.path_params["task_id"], terminate))


async def queues(request: Request) -> JSONResponse:
    return JSONResponse(views.queues(dashboard_of(request)))


async def dead_letters(request: Request) -> JSONResponse:
    _, listing = await list_dead_letters(request)
    return JSONResponse(views.dead_letters(listing))


async def dead_letter(request: Request) -> JSONResponse:
    offset = request.path_params["offset"]
    entry = await run_in_threadpool(dashboard_of(request).dead_letters.get, offset)
    if entry is None:
        raise HTTPException(404, f"no dead letter at offset {offset}")
    return JSONResponse(views.dead_letter(entry))


async def act(request: Request) -> JSONResponse:
    body = await _json(request)
    dashboard_of(request).csrf.check(request, None)
    offsets = body.get("offsets")
    if not isinstance(offsets, list):
        raise HTTPException(400, 'send {"offsets": [<offset>, ...]}')
    action = request.path_params["action"]
    return JSONResponse(await act_on_dead_letters(request, action, offsets_of(offsets)))


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise HTTPException(400, "the body must be JSON") from None
    if not isinstance(body, dict):
        raise HTTPException(400, "the body must be a JSON object")
    return body


def routes() -> list[BaseRoute]:
    return [
        Route("/api", index),
        Route("/api/overview", overview),
        Route("/api/workers", workers),
        Route("/api/tasks", tasks),
        Route("/api/tasks/{task_id}", task),
        Route("/api/tasks/{task_id}/chunks", task_chunks),
        Route("/api/tasks/{task_id}/revoke", revoke_task, methods=["POST"]),
        Route("/api/queues", queues),
        Route("/api/dead-letters", dead_letters),
        Route("/api/dead-letters/{offset:int}", dead_letter),
        Route("/api/dead-letters/{action}", act, methods=["POST"]),
    ]
