"""Typing tests, checked by mypy (scripts/check): what a user's type checker sees.

Each `# type: ignore[...]` below marks a call that must be a type error; mypy's
warn_unused_ignores (strict mode) fails the check if it stops being one.
"""

from __future__ import annotations

from typing import assert_type

from langchain_core.runnables import RunnableLambda

from kafkatask import App, AsyncResult, Task

app = App("typing")


@app.task
def add(x: int, y: int) -> int:
    return x + y


@app.task
async def fetch(url: str) -> str:
    return url


@app.task(name="typed.scale", queue="math")
def scale(value: float, factor: float = 2.0) -> float:
    return value * factor


def _shout(text: str) -> str:
    return text.upper()


upper = app.task(RunnableLambda(_shout), name="typed.upper")

assert isinstance(add, Task)
assert_type(add.delay(1, 2), AsyncResult[int])
assert_type(add.delay(1, 2).get(timeout=1), int)
assert_type(add(1, 2), int)
assert_type(fetch.delay("https://example.org"), AsyncResult[str])
assert_type(scale.delay(1.5), AsyncResult[float])
assert_type(add.apply_async((1, 2)), AsyncResult[int])
assert_type(upper, Task[[str], str])
assert_type(upper.invoke("x"), str)

add.delay("one", 2)  # type: ignore[arg-type]
add.delay(1)  # type: ignore[call-arg]
add.delay(1, 2, 3)  # type: ignore[call-arg]
fetch.delay(url=3)  # type: ignore[arg-type]
scale.delay(1.0, factr=3.0)  # type: ignore[call-arg]
