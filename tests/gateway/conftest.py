"""Fixtures of the gateway tests: one namespace, App, worker and gateway per test module.

The tasks of tests/gateway/apps.py run on a real worker against the session's broker; each
module gets its own topic namespace, and gateways are real uvicorn servers on free ports, so
clients (httpx, langserve.RemoteRunnable, websockets) talk real HTTP to them.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
import uvicorn
from starlette.types import ASGIApp

from kafkatask import App
from kafkatask.gateway import GatewaySettings, create_app
from kafkatask.settings import Settings
from kafkatask.testing.plugin import delete_namespace, small_settings
from kafkatask.worker import Worker
from tests.gateway.apps import register
from tests.helpers import wait_for


@pytest.fixture(scope="module")
def module_settings(
    request: pytest.FixtureRequest, kafka_bootstrap_servers: str
) -> Iterator[Settings]:
    name = re.sub(r"[^A-Za-z0-9]+", "-", request.module.__name__.rsplit(".", 1)[-1])[:30]
    namespace = f"g-{name}-{uuid.uuid4().hex[:8]}"
    yield small_settings(kafka_bootstrap_servers, namespace)
    delete_namespace(kafka_bootstrap_servers, namespace)


@pytest.fixture(scope="module")
def served_app(module_settings: Settings) -> Iterator[App]:
    """The App of the module: every test task registered, one worker running them."""
    app = App("gateway-tests", settings=module_settings)
    register(app)
    worker = Worker(app, concurrency=16)
    worker.start()
    yield app
    worker.stop()
    worker.join(timeout=30)
    app.close()


@contextmanager
def serving(asgi: ASGIApp) -> Iterator[str]:
    """Serve `asgi` with uvicorn on a free loopback port, on a thread; yields its URL.

    The lifespan is off: the gateway's would close the module's App, which outlives it.
    """
    config = uvicorn.Config(asgi, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="gateway-under-test", daemon=True)
    thread.start()
    wait_for(lambda: server.started, 10, "the gateway to start")
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


Serve = Callable[..., AbstractContextManager[str]]


@pytest.fixture(scope="module")
def serve(served_app: App) -> Serve:
    """`with serve(timeout=2) as url:` a gateway for the module's App, with these settings."""

    def start(*, expose: Any = None, **settings: Any) -> AbstractContextManager[str]:
        gateway_settings = GatewaySettings(**{"timeout": 20.0, **settings})
        return serving(create_app(served_app, expose=expose, settings=gateway_settings))

    return start


@pytest.fixture(scope="module")
def gateway_url(serve: Serve) -> Iterator[str]:
    """The module's gateway: no keys (loopback), default limits, a 20 s timeout."""
    with serve() as url:
        yield url
