"""DashboardState: folding events into tasks, workers and rates, in bounded memory."""

from __future__ import annotations

import json

from kafkatask.dashboard.rates import RuntimeSample, TaskRates
from kafkatask.dashboard.state import DashboardState
from kafkatask.dashboard.tasks import PREVIEW_LIMIT, TIMELINE_LIMIT
from kafkatask.dashboard.window import TaskQuery
from kafkatask.protocol import (
    ErrorInfo,
    EventBatch,
    MessageKind,
    TaskEvent,
    encode,
    headers_for,
)
from kafkatask.serialization import codec_named
from tests.dashboard.conftest import NOW, WORKER, Clock, lifecycle, worker_info

MSGPACK = codec_named("msgpack")


def _record(event: TaskEvent | EventBatch):
    return encode(event, MSGPACK), headers_for(MessageKind.EVENT, MSGPACK)


def _state(window: int = 100) -> DashboardState:
    return DashboardState(window, heartbeat_interval=2.0, clock=Clock())


def test_event_batches_are_applied_event_by_event():
    state = _state()
    batch = EventBatch(type="event-batch", worker=WORKER, events=lifecycle("a") + lifecycle("b"))
    assert state.ingest(*_record(batch))
    assert [state.task(name).state for name in "ab"] == ["SUCCESS", "SUCCESS"]  # type: ignore[union-attr]
    empty = EventBatch.model_construct(type="event-batch", worker=WORKER, events=[])
    assert state.ingest(*_record(empty)) is False  # a batch needs at least one event


def test_records_are_decoded_and_applied():
    state = _state()
    for event in lifecycle("a"):
        assert state.ingest(*_record(event))
    task = state.task("a")
    assert task is not None
    assert task.state == "SUCCESS"
    assert task.result == "5"
    assert task.runtime == 0.012
    assert task.args == "2, 3"
    assert task.worker == WORKER


def test_malformed_records_are_skipped_and_counted():
    state = _state()
    json_headers = [("content-type", b"application/json")]
    bad = [
        (b"", None),
        (b"\xc1\xff not msgpack", None),
        (b'{"type": "task-started"}', json_headers),  # no worker
        (b'{"type": "task-started", "worker": "w", "surprise": 1}', json_headers),
        (b'{"type": "task-started", "worker": "w", "v": 9}', json_headers),
        (b"[1, 2]", json_headers),
        (json.dumps({"type": "task-succeeded", "worker": "w"}).encode(), json_headers),  # no id
        (b'{"type": "task-started", "worker": "w", "task_id": "x"}', [("content-type", b"text/x")]),
        # numbers that would break pages: not finite, or far from any real time
        (b'{"type": "task-started", "worker": "w", "task_id": "x", "ts": NaN}', json_headers),
        (b'{"type": "worker-heartbeat", "worker": "w", "ts": 1e300}', json_headers),
        (b'{"type": "task-succeeded", "worker": "w", "task_id": "x", "runtime": -1}', json_headers),
        _record(TaskEvent(type="worker-heartbeat", worker="w", ts=NOW + 86_400)),  # tomorrow
    ]
    for value, headers in bad:
        assert state.ingest(value, headers) is False
    assert state.bookkeeping().malformed == len(bad)
    assert state.ingest(*_record(lifecycle("fine")[0]))  # and it goes on
    assert state.task("fine") is not None


def test_unknown_event_types_are_counted_not_applied():
    state = _state()
    assert state.apply(TaskEvent(type="worker-sneezed", worker=WORKER, ts=NOW))
    assert state.bookkeeping().events == {"worker-sneezed": 1}
    for number in range(100):
        state.apply(TaskEvent(type=f"made-up-{number}", worker=WORKER, ts=NOW))
    assert len(state.bookkeeping().events) <= 65  # bounded: the rest count as "other"


def test_an_undecodable_rejection_is_counted_without_a_task():
    state = _state()
    error = ErrorInfo(type="DecodeError", message="not a valid TaskMessage")
    state.apply(
        TaskEvent(
            type="task-rejected", worker=WORKER, ts=NOW - 1, partition=0, offset=9, error=error
        )
    )
    assert state.task_page(TaskQuery()).total == 0
    assert state.activity().rejected_last_5m == 1


def test_the_newest_event_sets_the_state_even_when_read_late():
    # Events of a retried task come from two workers, through two partitions.
    state = _state()
    first, second = (
        lifecycle("r", outcome="task-retried", ts=NOW - 30),
        lifecycle("r", ts=NOW - 10, worker="w2"),
    )
    for event in [*second, *first]:
        state.apply(event)
    task = state.task("r")
    assert task.state == "SUCCESS"
    assert task.worker == "w2"
    assert [e.state for e in task.timeline] == [
        "RECEIVED",
        "STARTED",
        "RETRY",
        "RECEIVED",
        "STARTED",
        "SUCCESS",
    ]


def test_retries_are_the_highest_count_seen():
    state = _state()
    for retries in (0, 2, 1):
        state.apply(
            TaskEvent(
                type="task-retried",
                worker=WORKER,
                ts=NOW - 10 + retries,
                task_id="x",
                retries=retries,
            )
        )
    assert state.task("x").retries == 2


def test_texts_from_workers_are_clipped():
    state = _state()
    huge = "x" * 1_000_000
    state.apply(
        TaskEvent(type="task-received", worker=WORKER, ts=NOW, task_id="big", task="t", args=huge)
    )
    for index in range(TIMELINE_LIMIT * 3):
        state.apply(TaskEvent(type="task-started", worker=WORKER, ts=NOW + index, task_id="big"))
    task = state.task("big")
    assert len(task.args) == PREVIEW_LIMIT
    assert task.args.endswith("…")
    assert len(task.timeline) == TIMELINE_LIMIT


def test_the_window_keeps_the_newest_tasks():
    state = _state(window=100)
    for number in range(250):
        state.apply(lifecycle(f"t{number}")[0])
    page = state.task_page(TaskQuery(limit=1000))
    assert page.total == 100
    assert page.tasks[0].id == "t249"
    assert page.tasks[-1].id == "t150"
    assert state.task("t149") is None
    assert state.bookkeeping().evicted == 150


def test_search_by_exact_id_is_direct():
    state = _state()
    for number in range(20):
        state.apply(lifecycle(f"id-{number}")[0])
    assert [t.id for t in state.task_page(TaskQuery(search="id-1")).tasks] == ["id-1"]
    assert state.task_page(TaskQuery(search="id-1", state="FAILURE")).total == 0


def test_workers_known_are_bounded_and_described():
    state = _state()
    state.apply(
        TaskEvent(type="worker-heartbeat", worker=WORKER, ts=NOW, info=worker_info(active=3))
    )
    state.apply(
        TaskEvent(type="worker-heartbeat", worker=WORKER, ts=NOW - 50, info=worker_info(active=9))
    )
    (worker,) = state.workers()
    assert worker.info.active == 3  # the late, older heartbeat changed nothing
    for number in range(1_200):
        state.apply(TaskEvent(type="worker-online", worker=f"w{number}", ts=NOW - 2000 + number))
    assert state.bookkeeping().workers_known == 1_000


def test_rates_per_second_and_latency_percentiles():
    rates = TaskRates(span=60)
    for second in range(10):
        for _ in range(second):
            rates.add("succeeded", NOW - 10 + second, NOW)
    rates.add("succeeded", NOW - 3600, NOW)  # too old: ignored
    assert rates.total("succeeded", 60, NOW) == sum(range(10))
    series = rates.series("succeeded", 60, 10, NOW)
    assert len(series) == 6
    assert series[-1] == sum(range(10)) / 10
    sample = RuntimeSample(size=100)
    for value in range(1, 201):
        sample.add(value / 1000, NOW)
    sample.add(float("nan"), NOW)
    p = sample.percentiles(since=NOW - 1)
    assert (p.count, p.p50, p.p99) == (100, 0.150, 0.199)
