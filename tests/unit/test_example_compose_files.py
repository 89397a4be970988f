"""The examples' compose files cannot run here (no Docker engine); they must still be wired
right: the repository's broker, the example's own app in every service, keys on the gateway."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "examples" / "runnables_service" / "compose.yml"
APP = "examples.runnables_service.app"


def _services() -> dict:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def test_the_broker_is_the_repositorys_own():
    kafka = _services()["kafka"]["extends"]
    assert (COMPOSE.parent / kafka["file"]).resolve() == ROOT / "docker-compose.yml"
    assert kafka["service"] in yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def test_every_service_runs_the_example_against_the_broker():
    services = _services()
    for name in ("worker", "gateway", "dashboard", "client"):
        service = services[name]
        assert (COMPOSE.parent / service["build"]).resolve() == ROOT, name
        assert service["environment"]["KAFKATASK_BOOTSTRAP_SERVERS"] == "kafka:19092", name
        assert service["depends_on"].get("kafka", {"condition": "service_healthy"}) == {
            "condition": "service_healthy"
        }
    for name in ("worker", "gateway", "dashboard"):
        command = services[name]["command"]
        assert command[:2] == ["kafkatask", name]
        assert command[command.index("-A") + 1] == APP
    assert services["client"]["command"][:3] == [
        "python",
        "-m",
        "examples.runnables_service.client",
    ]


def test_the_gateway_has_the_key_the_client_sends():
    services = _services()
    keys = json.loads(services["gateway"]["environment"]["KAFKATASK_GATEWAY_KEYS"])
    client_key = services["client"]["environment"]["GATEWAY_KEY"]
    assert [key["key"] for key in keys] == [client_key]
    assert client_key.startswith("${GATEWAY_KEY:-")  # one variable sets both


def test_the_image_installs_what_the_examples_need():
    assert 'pip install --no-cache-dir ".[examples]"' in (ROOT / "Dockerfile").read_text()
