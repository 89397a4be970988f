"""A streaming app for worker processes started by tests: a slow, deterministic token stream."""

from __future__ import annotations

import time
from collections.abc import Iterator

from langchain_core.runnables import RunnableGenerator

from kafkatask import App

app = App("streams")

WORDS = [f"word{i}" for i in range(30)]


def _slowly(inputs: Iterator[float]) -> Iterator[str]:
    pause = next(iter(inputs))
    for word in WORDS:
        time.sleep(pause)
        yield word + " "


slow_words = app.task(RunnableGenerator(_slowly), name="slow_words")
