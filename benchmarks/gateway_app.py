"""The app the gateway benchmark serves: a no-op and a token stream, so only the path counts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from kafkatask import App

app = App("bench-gateway")


@app.task(name="bench.echo")
def echo(value: int) -> int:
    return value


@app.task(name="bench.tokens")
async def tokens(count: int, pause: float) -> AsyncIterator[str]:
    """`count` chunks, each its own index, one every `pause` seconds (a model's pace)."""
    for index in range(count):
        yield str(index)
        await asyncio.sleep(pause)
