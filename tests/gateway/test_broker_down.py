"""A broker that does not answer: 503 within the connect timeout, for every request at once."""

from __future__ import annotations

import asyncio
import socket
import time

import httpx

from kafkatask import App
from kafkatask.gateway import GatewaySettings, create_app
from tests.gateway.conftest import serving

CONNECT_TIMEOUT = 1.5


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the probe is closed


async def test_requests_are_answered_503_within_the_connect_timeout():
    app = App(
        "down", bootstrap_servers=f"127.0.0.1:{_closed_port()}", connect_timeout=CONNECT_TIMEOUT
    )
    app.task(lambda x: x, name="echo")
    with serving(create_app(app, settings=GatewaySettings(timeout=30))) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            began = time.monotonic()
            answers = await asyncio.gather(
                *(client.post("/echo/invoke", json={"input": i}) for i in range(4)),
                client.post("/echo/stream", json={"input": "s"}),
                client.post("/echo/batch", json={"inputs": [1, 2]}),
            )
            waited = time.monotonic() - began
    assert [answer.status_code for answer in answers] == [503] * 6
    assert "did not answer" in answers[0].json()["message"]
    # one shared attempt to connect, not one after another
    assert waited < 2 * CONNECT_TIMEOUT
    app.close()
