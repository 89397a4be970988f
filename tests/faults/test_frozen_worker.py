"""Fault 7: a worker frozen with SIGSTOP until its partitions move, then resumed."""

from __future__ import annotations

import signal
import time

import pytest

from tests.faults.commits import CommitWatcher
from tests.faults.journal import order_violations, read_journal, stale_starts, starts
from tests.helpers import wait_for

SHORT_SESSION = {"KAFKATASK_SESSION_TIMEOUT_MS": "3000"}


@pytest.mark.timeout(240)
def test_frozen_worker_wakes_up_after_its_partitions_moved(
    settings, client, workers, record_figures
):
    sleepy = client.task(lambda index, seconds: index, name="faults.sleepy")
    frozen = workers.start("frozen", "-c", "4", env=SHORT_SESSION)
    results = [sleepy.delay(i, 0.2) for i in range(200)]
    wait_for(lambda: sum(r.ready() for r in results) >= 40, 120, "40 results")
    watcher = CommitWatcher(
        settings, client.topology.names.tasks("default"), settings.task_partitions
    )
    try:
        # freeze it with tasks in flight, let another worker take its partitions over
        frozen.send_signal(signal.SIGSTOP)
        workers.start("thawed-out", "-c", "4", env=SHORT_SESSION)
        wait_for(
            lambda: sum(r.worker == "thawed-out" for r in results) >= 20,
            120,
            "the second worker to take over",
        )
        # then wake it up: its late results and commits must not count
        frozen.send_signal(signal.SIGCONT)
        assert [r.get(timeout=180) for r in results] == list(range(200))
        wait_for(lambda: watcher.samples >= 5, 30, "commit samples")
    finally:
        frozen.send_signal(signal.SIGCONT)
        watcher.stop()

    assert watcher.backwards == []
    record_figures(
        sent=200,
        completed=sum(r.successful() for r in results),
        lost=200 - sum(r.successful() for r in results),
        duplicates_suppressed=client.connection.router.duplicates,
        committed_offset_samples=watcher.samples,
        committed_offsets_gone_backwards=len(watcher.backwards),
        dead_lettered=0,
    )


@pytest.mark.timeout(240)
def test_a_thawed_worker_starts_nothing_stale(settings, client, workers, tmp_path, record_figures):
    # Given a worker running ordered conversations (and plain tasks), frozen with jobs held
    journal = tmp_path / "journal.txt"
    env = {**SHORT_SESSION, "KAFKATASK_TEST_JOURNAL": str(journal)}
    step = client.task(lambda conversation, n, seconds: n, name="faults.step")
    noted = client.task(lambda index, seconds: index, name="faults.noted")
    frozen = workers.start("frozen", "-c", "4", env=env)
    conversations = [f"c{k}" for k in range(8)]
    turns = 25
    results = []
    for n in range(turns):
        for conversation in conversations:
            results.append(
                step.apply_async((conversation, n, 0.05), key=conversation, queue="default")
            )
        results.extend(noted.delay(n * 10 + i, 0.02) for i in range(4))
    wait_for(lambda: len(starts(read_journal(journal))) >= 40, 120, "40 tasks to start")
    frozen.send_signal(signal.SIGSTOP)
    try:
        # When another worker takes its partitions over and finishes everything
        workers.start("second", "-c", "4", env=env)
        assert len([r.get(timeout=180) for r in results]) == len(results)
        time.sleep(4.0)  # the fault: the frozen worker stays frozen well past that
    finally:
        thawed_at = time.time()
        frozen.send_signal(signal.SIGCONT)
    wait_for(lambda: "lost " in workers.log("frozen"), 60, "the thawed worker to see its loss")
    time.sleep(1.0)  # what it would run stale, it runs within milliseconds of the thaw

    # Then it started nothing that had moved on, and every conversation kept its order
    entries = read_journal(journal)
    stale = stale_starts(entries, frozen.pid, after=thawed_at, older_than=3.0)
    violations = order_violations(entries)
    assert stale == [], "\n".join(stale)
    assert violations == [], "\n".join(violations)
    record_figures(
        sent=len(results),
        completed=sum(r.successful() for r in results),
        lost=len(results) - sum(r.successful() for r in results),
        ordered_conversations=len(conversations),
        turns_each=turns,
        starts=len(starts(entries)),
        stale_starts_after_thaw=len(stale),
        order_violations=len(violations),
        dead_lettered=0,
    )
