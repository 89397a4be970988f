"""The demo `make demo` runs: tasks sent through a real Kafka broker to a worker.

Run a worker with `kafkatask worker -A examples.demo`, then `python -m examples.demo`.
"""

from __future__ import annotations

import time

from kafkatask import App

app = App("demo")


@app.task
def add(x: int, y: int) -> int:
    return x + y


@app.task
def shout(text: str) -> str:
    return text.upper() + "!"


def main() -> None:
    began = time.perf_counter()
    result = add.delay(2, 3)
    print(f"add.delay(2, 3).get() = {result.get(timeout=60)}  (task {result.id})")
    print(f"first round trip took {1000 * (time.perf_counter() - began):.1f} ms")
    began = time.perf_counter()
    print(f"add.delay(40, 2).get() = {add.delay(40, 2).get(timeout=10)}", end="  ")
    print(f"({1000 * (time.perf_counter() - began):.1f} ms)")
    print(f"shout.delay('kafka').get() = {shout.delay('kafka').get(timeout=10)!r}")
    app.close()


if __name__ == "__main__":
    main()
