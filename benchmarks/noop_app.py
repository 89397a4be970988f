"""The app the core benchmarks run: a task that does nothing, so only kafkatask is measured."""

from kafkatask import App

app = App("bench")


@app.task
def noop(value: int) -> int:
    return value
