"""One scenario for one system, in a process of its own: its workers, its client, its numbers.

    python -m benchmarks.versus.drive {kafkatask,celery} SCENARIO --sizes JSON \\
        [--broker-pid PID] --logs DIR

Run by benchmarks/versus_celery.py with kafkatask's interpreter or with the Celery
virtualenv's, the broker and the namespace (or the Redis URL) in the environment. Prints one
JSON object on its last line: the scenario's figures (benchmarks/versus/scenarios.py) and how
many results it checked.
"""

from __future__ import annotations

import argparse
import importlib
import json
from pathlib import Path

from benchmarks.versus.client import TaskClient
from benchmarks.versus.scenarios import SCENARIOS, Run
from benchmarks.versus.sizes import Sizes

CLIENTS = {
    "kafkatask": ("benchmarks.versus.kafkatask_client", "KafkataskClient"),
    "celery": ("benchmarks.versus.celery_client", "CeleryClient"),
}


def client_of(system: str) -> TaskClient:
    """The system's client, imported here: each interpreter has only its own system installed."""
    module, name = CLIENTS[system]
    client: TaskClient = getattr(importlib.import_module(module), name)()
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description="One scenario; see the module's docstring.")
    parser.add_argument("system", choices=sorted(CLIENTS))
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--sizes", type=json.loads, required=True)
    parser.add_argument("--broker-pid", type=int, default=None)
    parser.add_argument("--logs", type=Path, required=True)
    args = parser.parse_args()
    client = client_of(args.system)
    run = Run(client, Sizes.of(args.sizes), args.broker_pid, args.logs)
    try:
        figures = SCENARIOS[args.scenario](run)
    finally:
        client.close()
    print(json.dumps(figures | {"results_checked": run.tally.checked}))


if __name__ == "__main__":
    main()
