"""PageRenderer: Jinja2 pages with autoescaping, the CSRF token, and live partial updates.

Every page extends `base.html` and puts what changes in its `live` block. The page's script
asks for the same URL every few seconds with the header `X-Partial: 1` and gets only that
block, rendered by the same template: the HTML stays server-rendered and escaped in one place.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from kafkatask._version import __version__
from kafkatask.dashboard.csrf import CsrfGuard

TEMPLATES = Path(__file__).parent / "templates"
PARTIAL_HEADER = "x-partial"
NOTHING = "\N{EN DASH}"
"""Shown for a value that is not there (yet)."""
NAVIGATION = (
    ("/", "Overview"),
    ("/workers", "Workers"),
    ("/tasks", "Tasks"),
    ("/queues", "Queues and lag"),
    ("/dead-letters", "Dead letters"),
)


def when(ts: float | None) -> str:
    """A UTC time for tables, e.g. 2026-01-02 03:04:05."""
    if ts is None:
        return NOTHING
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def ago(ts: float | None, now: float | None = None) -> str:
    if ts is None:
        return "never"
    seconds = (time.time() if now is None else now) - ts
    if seconds < 0:
        return "just now"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit} ago"
    return f"{seconds:.0f} s ago"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return NOTHING
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every page, every value: task arguments come from anyone
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=when, ago=ago, duration=duration)
    env.globals.update(navigation=NAVIGATION, version=__version__)
    return env


class PageRenderer:
    def __init__(self, csrf: CsrfGuard, refresh: float, namespace: str) -> None:
        self._env = environment()
        self._csrf = csrf
        self._refresh = refresh
        self._namespace = namespace

    def render(
        self, request: Request, name: str, context: dict[str, Any], status: int = 200
    ) -> HTMLResponse:
        token = self._csrf.token(request)
        template = self._env.get_template(name)
        values = {
            "request": request,
            "path": request.url.path,
            "csrf_token": token,
            "refresh": self._refresh,
            "namespace": self._namespace,
            **context,
        }
        if request.headers.get(PARTIAL_HEADER) == "1" and "live" in template.blocks:
            html = "".join(template.blocks["live"](template.new_context(values)))
        else:
            html = template.render(values)
        response = HTMLResponse(html, status_code=status)
        self._csrf.remember(request, response, token)
        return response
