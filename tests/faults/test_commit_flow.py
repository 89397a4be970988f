"""Fault 10: a worker killed in the middle of a rebalance re-runs little, under each protocol.

Three workers share a steady stream of tasks. One is SIGKILLed and replaced at once, so the
group rebalances while the killed member's session is still open; a second worker is killed
before that session ends. Under the classic protocol the group's commits stop for the whole
rebalance (REBALANCE_IN_PROGRESS); under the consumer protocol (KIP-848) the surviving members
keep committing. Under both, what a crash can make run again is bounded by max_uncommitted.
"""

from __future__ import annotations

import signal
import threading
import time
from collections import defaultdict

import pytest

from tests.faults.commits import CommitWatcher
from tests.faults.journal import Entry, read_journal
from tests.helpers import wait_for

CAP = 200
"""max_uncommitted of the workers: the most a crash of one of them may run again."""
RATE = 400
"""Tasks sent per second."""
SECONDS = 14.0


class PacedSender:
    """Sends `noted` tasks at RATE per second on a thread of its own until stopped."""

    def __init__(self, task) -> None:
        self._task = task
        self.results: list = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        began = time.monotonic()
        while not self._stop.is_set():
            due = began + len(self.results) / RATE
            self._stop.wait(max(0.0, due - time.monotonic()))
            self.results.append(self._task.delay(len(self.results), 0.02))

    def stop(self) -> list:
        self._stop.set()
        self._thread.join(10)
        return self.results


def reruns(entries: list[Entry], pid: int) -> list[str]:
    """Tasks process `pid` started that started again afterwards in another process."""
    started: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        if entry.event == "start":
            started[entry.what].append(entry)
    return [
        what
        for what, runs in started.items()
        if any(r.pid == pid and any(o.pid != pid and o.at > r.at for o in runs) for r in runs)
    ]


def finished_long_before(entries: list[Entry], pid: int, what: set[str], when: float) -> set[str]:
    """Of `what`, the tasks process `pid` had finished more than a second before `when`."""
    return {
        e.what for e in entries if e.event == "end" and e.pid == pid and e.at < when - 1.0
    } & what


@pytest.mark.timeout(240)
@pytest.mark.parametrize("protocol", ["consumer", "classic"])
def test_a_crash_in_a_rebalance_reruns_little(protocol, client, workers, tmp_path, record_figures):
    # Given three workers sharing a steady stream of tasks
    journal = tmp_path / "journal.txt"
    env = {
        "KAFKATASK_GROUP_PROTOCOL": protocol,
        "KAFKATASK_MAX_UNCOMMITTED": str(CAP),
        "KAFKATASK_TEST_JOURNAL": str(journal),
    }
    noted = client.task(lambda index, seconds: index, name="faults.noted")
    procs = {name: workers.start(name, "-c", "16", env=env) for name in ("a", "b", "c")}
    warm_up_until_all_take_part(noted, {"a", "b", "c"})
    settings = client.settings
    watcher = CommitWatcher(
        settings, client.topology.names.tasks("default"), settings.task_partitions
    )
    sender = PacedSender(noted)
    try:
        # When one is killed and replaced at once, and another is killed before the first
        # one's session ends (its partitions still held by a member that is gone)
        time.sleep(3.0)
        killed_c = time.monotonic()
        procs["c"].send_signal(signal.SIGKILL)
        workers.start("d", "-c", "16", env=env)
        time.sleep(settings.session_timeout_ms / 1000 - 1.5)
        killed_a_at, killed_a = time.time(), time.monotonic()
        procs["a"].send_signal(signal.SIGKILL)
        workers.start("e", "-c", "16", env=env)
        time.sleep(max(0.0, SECONDS - (time.monotonic() - killed_c)))
    finally:
        results = sender.stop()

    # Then every task completes, and each crash re-ran at most max_uncommitted tasks
    assert [r.get(timeout=120) for r in results] == list(range(len(results)))
    watcher.stop()
    entries = read_journal(journal)
    again = {name: reruns(entries, procs[name].pid) for name in ("a", "c")}
    assert len(again["c"]) <= CAP
    assert len(again["a"]) <= CAP
    done_long_before = finished_long_before(entries, procs["a"].pid, set(again["a"]), killed_a_at)
    stall = watcher.longest_stall(killed_c, killed_a)
    if protocol == "consumer":
        # and the survivors kept committing through the rebalance
        assert done_long_before == set()
        assert stall < 2.0
    record_figures(
        protocol=protocol,
        sent=len(results),
        completed=sum(r.successful() for r in results),
        lost=len(results) - sum(r.successful() for r in results),
        max_uncommitted=CAP,
        longest_commit_stall_seconds=round(stall, 1),
        rerun_after_first_kill=len(again["c"]),
        rerun_after_second_kill=len(again["a"]),
        rerun_though_finished_over_1s_before=len(done_long_before),
        dead_lettered=0,
    )


def warm_up_until_all_take_part(task, names: set[str], timeout: float = 60.0) -> None:
    """Send rounds of quick tasks until each named worker has run some (all have partitions)."""
    deadline, seen, index = time.monotonic() + timeout, set(), -1
    while not names <= seen:
        assert time.monotonic() < deadline, f"only {sorted(seen)} of {sorted(names)} took tasks"
        batch = [task.delay(index - i, 0.0) for i in range(40)]
        index -= 40
        for r in batch:
            r.get(timeout=30)
        seen |= {r.worker for r in batch}


@pytest.mark.timeout(180)
def test_a_long_task_holds_back_at_most_its_partitions_share(
    client, workers, tmp_path, record_figures
):
    # Given a worker whose crash may re-run at most 40 tasks, 10 per partition (it owns four)
    journal = tmp_path / "journal.txt"
    env = {"KAFKATASK_MAX_UNCOMMITTED": "40", "KAFKATASK_TEST_JOURNAL": str(journal)}
    assert client.settings.task_partitions == 4
    noted = client.task(lambda index, seconds: index, name="faults.noted")
    first = workers.start("first", "-c", "8", env=env)
    assert noted.delay(-1, 0.0).get(timeout=60) == -1

    # When a long task heads one partition, with 300 quick ones behind it on the same partition
    head = noted.apply_async((0, 6.0), key="one-partition")
    quick = [noted.apply_async((i, 0.01), key="one-partition") for i in range(1, 301)]
    wait_for(lambda: len(read_journal(journal)) >= 12, 60, "the head and quick tasks to run")
    time.sleep(1.0)  # what the worker would read behind the head, it reads at once
    ran_before = {e.what for e in read_journal(journal) if e.event == "start"}
    first.send_signal(signal.SIGKILL)
    workers.start("second", "-c", "8", env=env)

    # Then every task completes, and the crash re-ran only the partition's share of them
    assert head.get(timeout=60) == 0
    assert [r.get(timeout=60) for r in quick] == list(range(1, 301))
    again = reruns(read_journal(journal), first.pid)
    assert 0 < len(ran_before) - 1 <= 10  # the warm-up, then at most the share
    assert set(again) <= ran_before
    assert len(again) <= 10
    record_figures(
        sent=301,
        completed=sum(r.successful() for r in [head, *quick]),
        lost=301 - sum(r.successful() for r in [head, *quick]),
        max_uncommitted=40,
        partitions=4,
        head_task_seconds=6.0,
        started_before_the_kill=len(ran_before) - 1,
        rerun_after_the_kill=len(again),
        dead_lettered=0,
    )
