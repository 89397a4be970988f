"""docker-compose.yml cannot run here (no Docker engine); it must still match the launcher."""

from __future__ import annotations

from pathlib import Path

import yaml

from kafkatask.local_broker import DEFAULT_KAFKA_VERSION
from kafkatask.local_broker.properties import server_properties

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_the_launchers_kafka_release():
    assert _compose()["services"]["kafka"]["image"] == f"apache/kafka:{DEFAULT_KAFKA_VERSION}"


def test_compose_broker_settings_match_the_launchers():
    # Every setting both configure must have the same value, spelled the image's way.
    env = _compose()["services"]["kafka"]["environment"]
    launcher = dict(
        line.split("=", 1)
        for line in server_properties("127.0.0.1", 9092, 9093, Path("/data")).splitlines()
    )
    shared = [
        "process.roles",
        "num.partitions",
        "offsets.topic.num.partitions",
        "offsets.topic.replication.factor",
        "auto.create.topics.enable",
        "group.initial.rebalance.delay.ms",
        "group.min.session.timeout.ms",
        "group.consumer.min.session.timeout.ms",
        "group.consumer.min.heartbeat.interval.ms",
        "group.consumer.session.timeout.ms",
        "group.consumer.heartbeat.interval.ms",
    ]
    for key in shared:
        env_name = "KAFKA_" + key.upper().replace(".", "_")
        assert str(env[env_name]) == launcher[key], key


def test_worker_and_dashboard_are_wired_by_environment():
    services = _compose()["services"]
    for name in ("worker", "dashboard"):
        env = services[name]["environment"]
        assert env["KAFKATASK_BOOTSTRAP_SERVERS"] == "kafka:19092"
        assert services[name]["depends_on"]["kafka"]["condition"] == "service_healthy"
