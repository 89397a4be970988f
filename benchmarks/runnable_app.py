"""The app the Runnable benchmarks serve: fake models, so only kafkatask is measured."""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator
from typing import Any

from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable, RunnableConfig, RunnableGenerator, RunnableLambda

from kafkatask import App

app = App("bench-runnables")

REPLY = " ".join(f"token{i}" for i in range(20))
CALL_SECONDS = float(os.environ.get("BENCH_CALL_SECONDS", "0.05"))
CHUNKS = int(os.environ.get("BENCH_CHUNKS", "50000"))

chat = app.task(
    GenericFakeChatModel(messages=itertools.cycle([AIMessage(content=REPLY)])), name="bench.chat"
)


def _many(inputs: Iterator[Any]) -> Iterator[str]:
    count = int(next(iter(inputs)))
    for index in range(count):
        yield f"c{index}"


firehose = app.task(RunnableGenerator(_many), name="bench.firehose")
io_bound = app.task(RunnableLambda(lambda x: time.sleep(0.02) or x), name="bench.io_bound")


class SlowModel(Runnable[str, str]):
    """A model whose call costs CALL_SECONDS, for one input or for a whole batch."""

    def invoke(self, input: str, config: RunnableConfig | None = None, **kwargs: Any) -> str:
        time.sleep(CALL_SECONDS)
        return input.upper()

    def batch(self, inputs: list[str], config: Any = None, **kwargs: Any) -> list[str]:  # type: ignore[override]
        time.sleep(CALL_SECONDS)
        return [text.upper() for text in inputs]


slow_single = app.task(SlowModel(), name="bench.slow_single")
slow_batched = app.task(SlowModel(), name="bench.slow_batched", batch_size=4, batch_window_ms=20)
