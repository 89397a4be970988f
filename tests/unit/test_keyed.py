"""KeyedQueue: one job per key at a time, in order."""

from __future__ import annotations

from dataclasses import dataclass

from kafkatask.worker.keyed import KeyedQueue


@dataclass(eq=False)
class FakeJob:
    order_key: tuple[str, int, bytes] | None
    name: str


def test_jobs_of_one_key_wait_in_order_and_other_keys_do_not():
    queue: KeyedQueue[FakeJob] = KeyedQueue()
    a1, a2, a3 = (FakeJob(("t", 0, b"a"), f"a{i}") for i in range(3))
    b1 = FakeJob(("t", 0, b"b"), "b1")
    assert queue.admit(a1)
    assert not queue.admit(a2)
    assert not queue.admit(a3)
    assert queue.admit(b1)
    assert queue.waiting() == 2
    assert queue.release(a1) is a2
    assert queue.release(a2) is a3
    assert queue.release(a3) is None
    assert queue.admit(FakeJob(("t", 0, b"a"), "a4"))


def test_unkeyed_jobs_always_start():
    queue: KeyedQueue[FakeJob] = KeyedQueue()
    assert queue.admit(FakeJob(None, "x"))
    assert queue.admit(FakeJob(None, "y"))


def test_drop_returns_waiting_jobs_of_revoked_partitions():
    queue: KeyedQueue[FakeJob] = KeyedQueue()
    running, waiting = FakeJob(("t", 1, b"k"), "r"), FakeJob(("t", 1, b"k"), "w")
    other = FakeJob(("t", 2, b"k"), "o")
    queue.admit(running)
    queue.admit(waiting)
    queue.admit(other)
    assert queue.drop(lambda job: job.order_key[:2] == ("t", 1)) == [waiting]
    assert queue.release(running) is None
