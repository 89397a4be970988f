"""`kafkatask gateway` refuses what it cannot serve safely, and says so in one line."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kafkatask.cli.main import cli

SECRET = "cli-secret-0123456789abcdef"


@pytest.fixture
def runner(monkeypatch) -> CliRunner:
    for name in ("KEYS", "KEYS_FILE"):
        monkeypatch.delenv(f"KAFKATASK_GATEWAY_{name}", raising=False)
    return CliRunner()


def _error_line(result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("Error: ")
    return lines[-1]


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10"])
def test_no_keys_no_public_address(runner, host):
    line = _error_line(runner.invoke(cli, ["gateway", "-A", "tests.gateway.apps", "--host", host]))
    assert line.startswith(f"Error: refusing to listen on {host} without API keys")
    assert "KAFKATASK_GATEWAY_KEYS" in line


def test_an_unknown_task_is_named(runner):
    result = runner.invoke(cli, ["gateway", "-A", "tests.gateway.apps", "--task", "tests.nope"])
    line = _error_line(result)
    assert "cannot serve tests.nope: no such task is registered" in line
    assert "tests.add" in line


def test_a_bad_keys_file_is_refused_without_showing_a_secret(runner, tmp_path):
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"keys": [{"name": "has space", "key": SECRET}]}))
    line = _error_line(
        runner.invoke(cli, ["gateway", "-A", "tests.gateway.apps", "--keys", str(keys)])
    )
    assert line.endswith("key 0: name: String should match pattern '^[A-Za-z0-9._@:-]{1,128}$'")
    assert SECRET not in line


def test_bad_keys_in_the_environment_are_refused_without_showing_a_secret(runner, monkeypatch):
    monkeypatch.setenv(
        "KAFKATASK_GATEWAY_KEYS", json.dumps([{"name": "ok", "key": SECRET, "allow": ["all"]}])
    )
    line = _error_line(runner.invoke(cli, ["gateway", "-A", "tests.gateway.apps"]))
    assert line.startswith("Error: invalid gateway settings: keys.0.allow.0")
    assert SECRET not in line
