"""The JSON API: one test per route, the same data as the pages."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from kafkatask.dashboard import Credentials, create_app
from tests.dashboard.conftest import NOW, WORKER


def _token(client) -> str:
    client.get("/")  # any page sets the CSRF cookie
    return client.cookies["kt_csrf"]


def test_index_lists_every_route(client):
    routes = client.get("/api").json()["routes"]
    assert "GET /api/tasks/{task_id}" in routes
    assert "POST /api/dead-letters/{action}" in routes


def test_overview(client):
    data = client.get("/api/overview").json()
    assert data["workers"] == {"online": 1, "offline": 0, "active_tasks": 1}
    assert data["dead_letters"] == {"unresolved": 2, "error": None}
    assert data["lag"]["total"] == 11
    assert data["activity"]["latency"]["p50"] == pytest.approx(0.012)
    assert data["tasks_by_state"] == {"SUCCESS": 1, "FAILURE": 1, "RECEIVED": 1}
    assert len(data["activity"]["series"]["succeeded"]) == 60
    assert data["dashboard"]["window_capacity"] == 500


def test_workers(client):
    (worker,) = client.get("/api/workers").json()["workers"]
    assert worker["id"] == WORKER
    assert worker["status"] == "online"
    assert worker["hostname"] == "host-1"
    assert worker["pid"] == 4242
    assert worker["queues"] == ["default", "high"]
    assert worker["processed"] == 10


def test_tasks_with_filters(client):
    data = client.get("/api/tasks", params={"state": "SUCCESS"}).json()
    assert data["total"] == 1
    assert data["tasks"][0]["id"] == "t-ok"
    assert data["query"]["state"] == "SUCCESS"
    assert client.get("/api/tasks", params={"since": "1h"}).json()["total"] == 0  # clock is 2026
    assert client.get("/api/tasks", params={"since": NOW - 3}).json()["total"] == 1
    assert client.get("/api/tasks", params={"limit": "many"}).status_code == 400
    for moment in ("nan", "inf", "-inf"):
        assert client.get("/api/tasks", params={"since": moment}).status_code == 400


def test_task(client):
    task = client.get("/api/tasks/t-bad").json()
    assert task["state"] == "FAILURE"
    assert task["error"]["type"] == "KeyError"
    assert [step["state"] for step in task["timeline"]] == ["RECEIVED", "STARTED", "FAILURE"]
    assert client.get("/api/tasks/missing").status_code == 404


def test_task_chunks(client):
    data = client.get("/api/tasks/t-ok/chunks").json()
    assert [c["kind"] for c in data["chunks"]] == ["start", "chunk", "end"]
    assert client.get("/api/tasks/missing/chunks").status_code == 404


def test_queues(client):
    data = client.get("/api/queues").json()
    assert data["total"] == 11
    group = data["groups"][0]
    assert group["group"] == "ns.workers.default"
    assert group["total"] == 7
    assert group["partitions"][0] | {} == {
        "topic": "ns.tasks.default",
        "partition": 0,
        "start": 0,
        "end": 12,
        "committed": 5,
        "lag": 7,
        "owner": "demo@host:abc123",
    }
    assert data["groups"][1]["group"] is None
    assert [total for _, total in data["history"]] == [3, 9, 11]


def test_dead_letters(client):
    data = client.get("/api/dead-letters").json()
    assert data["total"] == 2
    assert data["unresolved"] == 2
    assert [d["offset"] for d in data["dead_letters"]] == [4, 3]  # newest first
    assert client.get("/api/dead-letters", params={"task": "demo.other"}).json()["total"] == 1
    assert client.get("/api/dead-letters", params={"status": "all"}).json()["total"] == 2
    letter = client.get("/api/dead-letters/3").json()
    assert letter["task_id"] == "dead-1"
    assert '"args": [\n    1\n  ]' in letter["original"]
    assert client.get("/api/dead-letters/77").status_code == 404


def test_replay_with_the_csrf_header(client, dead_letters):
    assert client.post("/api/dead-letters/replay", json={"offsets": [3]}).status_code == 403
    done = client.post(
        "/api/dead-letters/replay", json={"offsets": [3]}, headers={"X-CSRF-Token": _token(client)}
    )
    assert done.status_code == 200
    assert done.json() == {"action": "replay", "offsets": [3], "replayed": ["dead-1"], "count": 1}
    assert dead_letters.replayed[0][0] == [3]


def test_purge_with_the_csrf_header(client, dead_letters):
    headers = {"X-CSRF-Token": _token(client)}
    done = client.post("/api/dead-letters/purge", json={"offsets": [3, 4]}, headers=headers)
    assert done.json()["count"] == 2
    assert (
        client.post("/api/dead-letters/purge", json={"offsets": []}, headers=headers).status_code
        == 400
    )
    assert (
        client.post("/api/dead-letters/purge", json={"offsets": ["x"]}, headers=headers).status_code
        == 400
    )
    assert client.post("/api/dead-letters/purge", content=b"[", headers=headers).status_code == 400
    assert (
        client.post("/api/dead-letters/melt", json={"offsets": [3]}, headers=headers).status_code
        == 400
    )


def test_revoke(client, fed):
    headers = {"X-CSRF-Token": _token(client)}
    done = client.post("/api/tasks/t-running/revoke", json={"terminate": False}, headers=headers)
    assert done.json() == {"revoked": "t-running", "terminate": False}
    assert fed.revoked == [("t-running", False)]
    bad = client.post("/api/tasks/t-running/revoke", json={"terminate": "yes"}, headers=headers)
    assert bad.status_code == 400


def test_a_bearer_token_needs_no_csrf_token(fed, dead_letters):
    fed.credentials = Credentials(token="s3cret")
    with TestClient(create_app(fed, background=False), base_url="http://localhost") as client:
        done = client.post(
            "/api/dead-letters/replay",
            json={"offsets": [4]},
            headers={"Authorization": "Bearer s3cret"},
        )
        assert done.status_code == 200
        # Basic credentials are sent by browsers on their own: they still need the CSRF token.
        basic = client.post(
            "/api/dead-letters/replay", json={"offsets": [3]}, auth=("me", "s3cret")
        )
        assert basic.status_code == 403
    assert [offsets for offsets, _ in dead_letters.replayed] == [[4]]
    assert re.match(r"dashboard:token@", dead_letters.replayed[0][1])
