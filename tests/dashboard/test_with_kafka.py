"""The dashboard against the real broker: events, rebuild on restart, lag, dead letters,
stream chunks and revoke, each through the JSON API of a dashboard whose readers run."""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Iterator as Chunks
from contextlib import contextmanager

import pytest
from confluent_kafka import Producer
from langchain_core.runnables import RunnableGenerator
from starlette.testclient import TestClient

from kafkatask import App
from kafkatask.dashboard import Credentials, Dashboard, create_app
from kafkatask.dashboard.lag import LagCollector
from kafkatask.states import TaskState
from tests.helpers import wait_for

pytestmark = pytest.mark.integration


@contextmanager
def _serving(app: App, **options) -> Iterator[TestClient]:
    """A dashboard on `app`'s namespace with its event reader and lag collector running."""
    board = Dashboard(app, lag_interval=0.5, credentials=Credentials(), **options)
    with TestClient(create_app(board), base_url="http://localhost") as client:
        yield client


def _task(client: TestClient, task_id: str) -> dict | None:
    found = client.get(f"/api/tasks/{task_id}")
    return found.json() if found.status_code == 200 else None


def _state_of(client: TestClient, task_id: str) -> str | None:
    task = _task(client, task_id)
    return task["state"] if task else None


def test_events_of_a_worker_fill_the_pages(app, start_worker):
    add = app.task(lambda x, y: x + y, name="dash.add")

    @app.task(name="dash.fail")
    def fail() -> None:
        raise RuntimeError("<b>broken</b>")

    worker = start_worker(app, name="dash-worker")
    ok, bad = add.delay(2, 3), fail.delay()
    ok.get(timeout=30)
    bad.get(timeout=30, propagate=False)
    with _serving(app) as client:
        wait_for(lambda: _state_of(client, ok.id) == "SUCCESS", 30, "the success")
        wait_for(lambda: _state_of(client, bad.id) == "FAILURE", 30, "the failure")
        task = _task(client, ok.id)
        assert task["name"] == "dash.add"
        assert task["args"] == "2, 3"
        assert task["result"] == "5"
        assert task["worker"] == worker.id
        assert task["queue"] == "default"
        failed = _task(client, bad.id)
        assert failed["error"]["message"] == "<b>broken</b>"
        assert "&lt;b&gt;broken&lt;/b&gt;" in client.get(f"/tasks/{bad.id}").text
        workers = client.get("/api/workers").json()["workers"]
        assert [(w["id"], w["status"], w["queues"]) for w in workers] == [
            (worker.id, "online", ["default"])
        ]
        wait_for(
            lambda: client.get("/api/overview").json()["dashboard"]["caught_up"], 30, "history"
        )


def test_a_restarted_dashboard_rebuilds_its_window_from_the_events_topic(app, start_worker):
    add = app.task(lambda x, y: x + y, name="dash.add")
    start_worker(app)
    ids = [add.delay(i, i) for i in range(5)]
    for result in ids:
        result.get(timeout=30)
    with _serving(app) as first:
        wait_for(lambda: first.get("/api/tasks").json()["total"] == 5, 30, "five tasks")
    with _serving(app, window=3) as second:
        wait_for(
            lambda: second.get("/api/overview").json()["dashboard"]["caught_up"], 30, "history"
        )
        wait_for(lambda: second.get("/api/tasks").json()["total"] == 3, 30, "the newest three")
        kept = {t["id"] for t in second.get("/api/tasks").json()["tasks"]}
        assert kept <= {r.id for r in ids}


def test_a_malformed_record_on_the_events_topic_is_skipped(app, settings, start_worker):
    add = app.task(lambda x, y: x + y, name="dash.add")
    start_worker(app)
    add.delay(1, 1).get(timeout=30)
    producer = Producer({"bootstrap.servers": settings.bootstrap_servers})
    producer.produce(
        f"{settings.namespace}.events", b"\x00garbage", headers=[("kt-kind", b"event")]
    )
    producer.flush(10)
    later = add.delay(2, 2)
    later.get(timeout=30)
    with _serving(app) as client:
        wait_for(lambda: _state_of(client, later.id) == "SUCCESS", 30, "the task after the garbage")
        assert client.get("/api/overview").json()["dashboard"]["malformed"] == 1
        assert "kafkatask_dashboard_malformed_events_total 1.0" in client.get("/metrics").text


def test_lag_per_partition_with_its_owner(app, settings, start_worker):
    add = app.task(lambda x, y: x + y, name="dash.add")
    for i in range(6):
        add.delay(i, i)
    app.connection.producer.flush(10)
    workers = []
    # Owners and members come from the workers' heartbeats; here from what they would say.
    collector = LagCollector(
        settings, "lag-test", members=lambda: {w.id: w._describe() for w in workers}
    )

    def unread() -> list:
        return [g for g in collector.collect().groups if g.group is None]

    # Given tasks that no worker has read yet, they are lag of no group
    wait_for(lambda: sum(g.total for g in unread()) == 6, 30, "six waiting tasks")
    # When a worker takes them, its group has caught up, and it owns the partitions
    worker = start_worker(app)
    workers.append(worker)

    def group():
        groups = [g for g in collector.collect().groups if g.group == worker.group_id]
        return groups[0] if groups else None

    wait_for(lambda: (g := group()) is not None and g.total == 0 and g.members == 1, 60, "no lag")
    partitions = group().partitions
    assert len(partitions) == settings.task_partitions
    assert {p.owner for p in partitions} == {worker.id}
    assert sum(p.end for p in partitions) == 6
    assert not unread()


def test_queues_page_of_a_running_dashboard(app, start_worker):
    add = app.task(lambda x, y: x + y, name="dash.add")
    worker = start_worker(app)
    add.delay(1, 2).get(timeout=30)
    with _serving(app) as client:

        def owned() -> bool:
            groups = client.get("/api/queues").json()["groups"]
            ours = [g for g in groups if g["group"] == worker.group_id]
            return bool(ours) and {p["owner"] for p in ours[0]["partitions"]} == {worker.id}

        wait_for(owned, 30, "the worker's partitions in the lag table")
        assert worker.id in client.get("/queues").text


def test_replay_a_dead_letter_through_the_api(settings, start_worker):
    # idempotency_window=0: a replay keeps the task id and retry count of the first run, and
    # the worker's duplicate filter would otherwise answer it with that run's failure (a known
    # core limitation, reported with this work).
    app = App("dash", settings=settings, idempotency_window=0)
    healed = {"yes": False}

    @app.task(name="dash.flaky", autoretry_for=(KeyError,), max_retries=0)
    def flaky() -> str:
        if not healed["yes"]:
            raise KeyError("not yet")
        return "fixed"

    start_worker(app)
    try:
        failed = flaky.delay()
        failed.get(timeout=30, propagate=False)
        with _serving(app) as client:
            wait_for(lambda: client.get("/api/dead-letters").json()["total"] == 1, 30, "the letter")
            (letter,) = client.get("/api/dead-letters").json()["dead_letters"]
            assert letter["task_id"] == failed.id
            assert letter["reason"] == "retries-exhausted"
            client.get("/")
            healed["yes"] = True
            replayed = client.post(
                "/api/dead-letters/replay",
                json={"offsets": [letter["offset"]]},
                headers={"X-CSRF-Token": client.cookies["kt_csrf"]},
            )
            assert replayed.json()["replayed"] == [failed.id]
            wait_for(lambda: _state_of(client, failed.id) == "SUCCESS", 30, "the replayed run")
            assert client.get("/api/dead-letters").json()["total"] == 0
            everything = client.get("/api/dead-letters?status=all").json()["dead_letters"]
            assert [d["status"] for d in everything] == ["replayed"]
    finally:
        app.close()


def test_stream_chunks_of_a_streamed_task(app, start_worker):
    def words(inputs: Chunks[str]) -> Chunks[str]:
        prefix = next(iter(inputs))
        for i in range(5):
            yield f"{prefix}-{i}"

    streamer = app.task(RunnableGenerator(words), name="dash.words")
    start_worker(app)
    result = streamer.apply_async(("w",), stream=True)
    assert result.get(timeout=30) == "w-0w-1w-2w-3w-4"
    with _serving(app) as client:
        wait_for(lambda: _state_of(client, result.id) == "SUCCESS", 30, "the streamed task")
        scan = client.get(f"/api/tasks/{result.id}/chunks").json()
        assert scan["complete"]
        chunks = [c for c in scan["chunks"] if c["kind"] == "chunk"]
        assert [c["data"] for c in chunks] == [f'"w-{i}"' for i in range(5)]
        assert next(c["kind"] for c in scan["chunks"]) == "start"
        assert scan["chunks"][-1]["kind"] == "end"
        # The task-received event named the stream partition, so only that one was read.
        partition = client.get(f"/api/tasks/{result.id}").json()["stream_partition"]
        assert {c["partition"] for c in scan["chunks"]} == {partition}


def test_revoke_through_the_api(app, start_worker):
    ran = []

    @app.task(name="dash.later")
    def later() -> None:
        ran.append(1)

    start_worker(app)
    waiting = later.apply_async(countdown=3)  # waits in a delay topic
    with _serving(app) as client:
        client.get("/")
        revoked = client.post(
            f"/api/tasks/{waiting.id}/revoke",
            json={},
            headers={"X-CSRF-Token": client.cookies["kt_csrf"]},
        )
        assert revoked.status_code == 200
        assert waiting.get(timeout=30, propagate=False) is not None
        assert waiting.state == TaskState.REVOKED
        wait_for(lambda: _state_of(client, waiting.id) == "REVOKED", 30, "the revoke event")
    assert ran == []
