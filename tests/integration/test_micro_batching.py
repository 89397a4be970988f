"""Worker-side micro-batching: N pending invoke requests, one `batch` call, N separate replies."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from langchain_core.runnables import Runnable, RunnableConfig

from kafkatask import TaskRegistrationError


class RecordingModel(Runnable[str, str]):
    """A fake model whose batch call is recorded; "fail" inputs fail just their own item."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self._lock = threading.Lock()

    def invoke(self, input: str, config: RunnableConfig | None = None, **kwargs: Any) -> str:
        return self.batch([input])[0]

    def batch(self, inputs, config=None, *, return_exceptions=False, **kwargs):
        with self._lock:
            self.batches.append(list(inputs))
        outputs: list[Any] = []
        for text in inputs:
            if text == "fail":
                error = ValueError("this input fails")
                if not return_exceptions:
                    raise error
                outputs.append(error)
            else:
                outputs.append(text.upper())
        return outputs

    async def abatch(self, inputs, config=None, *, return_exceptions=False, **kwargs):
        return self.batch(inputs, config, return_exceptions=return_exceptions)


def test_pending_requests_run_as_one_batch_and_each_caller_gets_its_own(app, start_worker):
    model = RecordingModel()
    task = app.task(model, name="model", batch_size=4, batch_window_ms=2000)
    start_worker(app, concurrency=2)
    task.invoke("warm-up")  # joined and assigned; a batch of one after the window
    model.batches.clear()

    results = [task.apply_async((text,)) for text in ("a", "b", "fail", "d")]
    assert results[0].get(timeout=30) == "A"
    assert results[1].get(timeout=30) == "B"
    with pytest.raises(ValueError, match="this input fails"):
        results[2].get(timeout=30)
    assert results[3].get(timeout=30) == "D"
    assert [sorted(batch) for batch in model.batches] == [["a", "b", "d", "fail"]]


def test_a_request_that_is_not_one_input_fails_alone(app, start_worker):
    model = RecordingModel()
    task = app.task(model, name="model", batch_size=3, batch_window_ms=2000)
    start_worker(app, concurrency=2)
    task.invoke("warm-up")
    model.batches.clear()

    bad = app.send(task._message(["x", "y"], {}), None)  # what another client could send
    good = [task.apply_async((text,)) for text in ("a", "b")]
    with pytest.raises(TypeError, match="exactly one input"):
        bad.get(timeout=30)
    assert [result.get(timeout=30) for result in good] == ["A", "B"]
    assert [sorted(batch) for batch in model.batches] == [["a", "b"]]


def test_a_partial_batch_runs_when_the_window_closes(app, start_worker):
    model = RecordingModel()
    task = app.task(model, name="model", batch_size=8, batch_window_ms=200)
    start_worker(app)
    task.invoke("warm-up")
    model.batches.clear()

    began = time.monotonic()
    results = [task.apply_async((text,)) for text in ("x", "y")]
    assert [r.get(timeout=30) for r in results] == ["X", "Y"]
    assert time.monotonic() - began >= 0.2
    assert [sorted(batch) for batch in model.batches] == [["x", "y"]]


def test_a_batching_function_takes_the_list_of_inputs(app, start_worker):
    calls: list[list[str]] = []

    @app.task(batch_size=3, batch_window_ms=2000)
    def embed(texts: list[str]) -> list[int]:
        calls.append(list(texts))
        return [len(text) for text in texts]

    start_worker(app)
    results = [embed.apply_async((text,)) for text in ("a", "bb", "ccc")]
    assert [r.get(timeout=30) for r in results] == [1, 2, 3]
    assert [sorted(call) for call in calls] == [["a", "bb", "ccc"]]


def test_a_batch_returning_the_wrong_number_of_results_fails_every_caller(app, start_worker):
    @app.task(batch_size=2, batch_window_ms=2000)
    def broken(texts: list[str]) -> list[str]:
        return ["only one"]

    start_worker(app)
    results = [broken.apply_async((text,)) for text in ("a", "b")]
    for result in results:
        with pytest.raises(ValueError, match="returned 1 results for a batch of 2 inputs"):
            result.get(timeout=30)


def test_streams_of_a_batching_task_run_one_by_one(app, start_worker):
    model = RecordingModel()
    task = app.task(model, name="model", batch_size=4, batch_window_ms=2000)
    start_worker(app)
    assert list(task.stream("s")) == ["S"]


def test_ordered_and_batching_cannot_be_combined(app):
    with pytest.raises(TaskRegistrationError, match=r"ordered=True .* batch_size>1"):
        app.task(RecordingModel(), name="both", ordered=True, batch_size=2)


def test_time_limits_apply_to_a_batch_call(app, start_worker):
    from kafkatask import TimeLimitExceeded

    @app.task(batch_size=2, batch_window_ms=2000, time_limit=0.5)
    def stuck(texts: list[str]) -> list[str]:
        while True:
            sum(range(1000))

    @app.task
    def healthy() -> str:
        return "fine"

    start_worker(app, concurrency=1)
    results = [stuck.apply_async((text,)) for text in ("a", "b")]
    for result in results:
        with pytest.raises(TimeLimitExceeded, match=r"time_limit of 0\.5s"):
            result.get(timeout=30)
    assert healthy.delay().get(timeout=30) == "fine"
