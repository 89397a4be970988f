"""The virtualenv Celery runs in, made by the benchmark: Celery is no dependency of kafkatask.

Created once under KAFKATASK_HOME (`.kafkatask/bench-celery-venv`, git-ignored) with pip, and
made again only when REQUIREMENTS change.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kafkatask.local_broker.launcher import default_home

REQUIREMENTS = ("celery[redis]>=5.4,<6",)
"""Celery 5 and the Redis client it asks for (`redis`, through kombu's `redis` extra)."""
PACKAGES = ("celery", "kombu", "redis")
"""Whose versions the results record."""


def ensure(home: Path | None = None) -> Path:
    """The virtualenv's Python, with REQUIREMENTS installed."""
    venv = (home or default_home()) / "bench-celery-venv"
    python = venv / "bin" / "python"
    marker = venv / ".requirements"
    wanted = "\n".join(REQUIREMENTS)
    if python.exists() and marker.exists() and marker.read_text() == wanted:
        return python
    print(f"installing {' '.join(REQUIREMENTS)} into {venv}", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, *REQUIREMENTS], check=True)
    marker.write_text(wanted)
    return python


def versions(python: Path) -> dict[str, str]:
    """The installed versions of PACKAGES in the virtualenv of `python`."""
    script = (
        "import importlib.metadata as m, json, sys; "
        "print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))"
    )
    shown = subprocess.run(
        [str(python), "-c", script, *PACKAGES], capture_output=True, text=True, check=True
    )
    found: dict[str, str] = json.loads(shown.stdout)
    return found
