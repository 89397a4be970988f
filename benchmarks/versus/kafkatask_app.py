"""kafkatask's app of the comparison: the bodies of benchmarks/versus/bodies.py as tasks.

Settings come from `KAFKATASK_*` variables (the benchmark sets the broker and a namespace per
run), so the worker and the client built from this module agree.
"""

from __future__ import annotations

from typing import Any

from benchmarks.versus import bodies
from kafkatask import App, Task

app = App("versus")

noop = app.task(name="versus.noop")(bodies.noop)
sleeper = app.task(name="versus.sleeper")(bodies.sleeper)
echo = app.task(name="versus.echo")(bodies.echo)

TASKS: dict[str, Task[Any, Any]] = {"noop": noop, "sleeper": sleeper, "echo": echo}
