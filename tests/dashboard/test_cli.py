"""`kafkatask dashboard` refuses to expose itself without credentials; `kafkatask worker
--metrics-port` serves metrics from a worker process."""

from __future__ import annotations

import socket
import subprocess
import sys

import httpx
import pytest
from click.testing import CliRunner

from kafkatask.cli.main import cli
from tests.helpers import ROOT, settings_env, wait_for


@pytest.fixture
def runner(monkeypatch) -> CliRunner:
    for name in ("TOKEN", "USERNAME", "PASSWORD"):
        monkeypatch.delenv(f"KAFKATASK_DASHBOARD_{name}", raising=False)
    return CliRunner()


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10"])
def test_no_credentials_no_public_address(runner, host):
    result = runner.invoke(cli, ["dashboard", "--host", host])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"Error: refusing to listen on {host} without credentials")
    assert "KAFKATASK_DASHBOARD_TOKEN" in lines[0]


def test_half_configured_credentials_are_refused(runner, monkeypatch):
    monkeypatch.setenv("KAFKATASK_DASHBOARD_USERNAME", "ops")
    result = runner.invoke(cli, ["dashboard"])
    assert result.exit_code == 1
    assert "dashboard_username and dashboard_password" in result.output


def test_python_dash_m_knows_the_command():
    shown = subprocess.run(
        [sys.executable, "-m", "kafkatask", "dashboard", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "--port" in shown.stdout
    assert "KAFKATASK_DASHBOARD_TOKEN" in shown.stdout


@pytest.mark.integration
def test_worker_metrics_port(settings, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "kafkatask",
        "worker",
        "-A",
        "tests.dashboard.browser_app",
        "--metrics-port",
        str(port),
        "--metrics-host",
        "127.0.0.1",
    ]
    with (tmp_path / "worker.log").open("ab") as log:
        worker = subprocess.Popen(
            command, env=settings_env(settings), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
    try:

        def serving() -> bool:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            try:
                return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(serving, 60, "the worker's metrics")
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert "kafkatask_worker_in_flight_tasks 0.0" in text
        assert 'kafkatask_worker_tasks_total{state="succeeded"} 0.0' in text
    finally:
        worker.terminate()
        worker.wait(60)
