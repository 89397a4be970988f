"""The app the browser test runs in a worker process and shows in a dashboard process."""

from __future__ import annotations

from pathlib import Path

from kafkatask import App

app = App("browser")


@app.task(name="browser.add")
def add(x: int, y: int) -> int:
    return x + y


@app.task(name="browser.echo")
def echo(text: str) -> str:
    return text


@app.task(name="browser.flaky", autoretry_for=(RuntimeError,), max_retries=0)
def flaky(marker: str) -> str:
    """Fails (into the dead-letter topic) until the file `marker` exists."""
    if not Path(marker).exists():
        raise RuntimeError(f"{marker} does not exist yet")
    return "healed"
