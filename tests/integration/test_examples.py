"""The examples the README and docs show run end to end against a real broker and worker."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers import ROOT, settings_env, spawn_worker


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        ("examples.demo", ["add.delay(2, 3).get() -> 5", "5 answers in input order", "chunks"]),
        (
            "examples.reliability",
            [
                "HELLO",
                "report-7 finished after 2 retries",
                "LATER after",
                "revoked: task examples.call_model",
                "state: FAILURE retries: 1",
                "dead letter: retries-exhausted 2 attempts",
            ],
        ),
        (
            "examples.runnables",
            [
                "Logs never forget.",
                "[1, 2, 3]",
                "LOGS NEVER FORGET.",
                "True",
                "on_chat_model_stream",
            ],
        ),
    ],
)
def test_example_runs_against_a_worker(settings, tmp_path, module, expected):
    worker = spawn_worker(settings, module, "-c", "4", log=tmp_path / "worker.log")
    try:
        done = subprocess.run(
            [sys.executable, "-m", module],
            env=settings_env(settings),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        worker.terminate()
        worker.wait(30)
    assert done.returncode == 0, done.stderr
    for text in expected:
        assert text in done.stdout
