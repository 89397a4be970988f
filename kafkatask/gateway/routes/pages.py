"""The gateway's own pages: a human-readable API page, the OpenAPI document, a health check.

`/docs` lists the tasks the caller may call, with their endpoints, a curl example and their
schemas; `/openapi.json` is the same for programs (openapi.py). Both show only what the
caller's key may use. `/healthz` answers anyone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import BaseRoute, Route

from kafkatask.gateway.auth import Caller
from kafkatask.gateway.keys import Right
from kafkatask.gateway.openapi import openapi
from kafkatask.gateway.served import ServedTask
from kafkatask.gateway.services import Gateway

TEMPLATES = Path(__file__).parent.parent / "templates"
_PAGES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,  # task names and docstrings are shown as text, never as markup
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENDPOINTS: list[tuple[Right | None, str, str, str]] = [
    ("invoke", "POST", "/invoke", "run it once: {input, config} in, {output, metadata} out"),
    ("invoke", "GET", "/invoke/{task_id}", "the result of a task sent earlier (after a 504)"),
    ("batch", "POST", "/batch", "run it on each of {inputs}, results in input order"),
    ("stream", "POST", "/stream", "stream it (SSE); ?detach=true answers with the task id"),
    (
        "stream",
        "GET",
        "/stream/{task_id}",
        "follow a stream (SSE) from the start, or after Last-Event-ID",
    ),
    ("stream", "POST", "/stream_events", "the events of the Runnable as it runs (SSE)"),
    ("stream", "WS", "/ws", "streams over a WebSocket, resumable"),
    (
        None,
        "GET",
        "/input_schema",
        "the JSON Schema of its input (also /output_schema, /config_schema)",
    ),
]
"""Each endpoint of a task: the right it needs (None: any), method, path, and what it does."""


def routes() -> list[BaseRoute]:
    return [
        Route("/", index, methods=["GET"]),
        Route("/docs", docs, methods=["GET"], name="docs"),
        Route("/docs.css", stylesheet, methods=["GET"]),
        Route("/openapi.json", openapi_document, methods=["GET"], name="openapi"),
        Route("/healthz", healthz, methods=["GET"]),
    ]


async def index(request: Request) -> Response:
    return RedirectResponse(request.url_for("docs").path)


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def openapi_document(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    return JSONResponse(openapi(gateway, gateway.caller(request)))


async def stylesheet(request: Request) -> Response:
    return Response((TEMPLATES / "docs.css").read_text(), media_type="text/css")


async def docs(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    caller = gateway.caller(request)
    base = request.scope.get("root_path", "")
    origin = f"{request.url.scheme}://{request.url.netloc}"
    keys = gateway.keys.configured
    tasks = [
        _view(served, caller, origin + base, keys=keys)
        for served in gateway.tasks
        if caller.may_call(served.name)
    ]
    html = _PAGES.get_template("docs.html").render(
        namespace=gateway.app.settings.namespace,
        tasks=tasks,
        keys=keys,
        base=base,
        origin=origin,
    )
    return HTMLResponse(html)


def _view(served: ServedTask, caller: Caller, url: str, *, keys: bool) -> dict[str, Any]:
    """What the page shows of one task."""
    endpoints = [
        (method, path, what)
        for right, method, path, what in ENDPOINTS
        if right is None or caller.may(right)
    ]
    example = {"input": _example_input(served.schemas.json_schema("input"))}
    return {
        "name": served.name,
        "path": served.path,
        "description": served.description,
        "endpoints": endpoints,
        "example": _curl(f"{url}/{served.path}/invoke", example, keys=keys),
        "input_schema": json.dumps(served.schemas.json_schema("input"), indent=2),
        "output_schema": json.dumps(served.schemas.json_schema("output"), indent=2),
    }


def _curl(url: str, body: Any, *, keys: bool) -> str:
    lines = [f"curl -s -X POST {url}", "-H 'Content-Type: application/json'"]
    if keys:
        lines.append("-H 'Authorization: Bearer <your key>'")
    lines.append(f"-d '{json.dumps(body)}'")
    return " \\\n     ".join(lines)


def _example_input(schema: dict[str, Any]) -> Any:
    """A placeholder input of the schema's shape: its properties, or a value of its type."""
    placeholders = {"string": "...", "integer": 1, "number": 1.5, "boolean": True, "array": []}
    if "properties" in schema:
        return {name: _example_input(part) for name, part in schema["properties"].items()}
    return placeholders.get(schema.get("type", ""), {})
