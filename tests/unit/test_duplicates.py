"""DuplicateFilter: a copy of a running task waits for the first copy before it is done."""

from __future__ import annotations

import time

from kafkatask.protocol import ReplyAddress, TaskMessage
from kafkatask.worker.duplicates import DuplicateFilter


def _message(task_id: str = "t-1") -> TaskMessage:
    return TaskMessage(
        id=task_id, task="demo.add", reply_to=ReplyAddress(topic="ns.results", partition=0)
    )


def test_a_copy_of_a_running_task_is_released_when_the_first_finishes():
    duplicates, released = DuplicateFilter(window=60), []
    first, copy = _message(), _message()
    assert duplicates.check(first) == (False, None)
    assert duplicates.check(copy) == (True, None)
    assert duplicates.hold(copy, lambda: released.append("copy"))
    assert released == []  # still running: the copy's record must not be committed yet
    assert duplicates.finish(first, b"reply") == [copy]
    assert released == ["copy"]
    assert duplicates.check(_message()) == (True, b"reply")
    assert not duplicates.hold(_message(), lambda: released.append("late"))  # already done


def test_held_copies_are_released_when_the_first_is_forgotten_or_expires():
    duplicates, released = DuplicateFilter(window=0.05), []
    duplicates.check(_message("a"))
    duplicates.check(_message("a"))
    duplicates.hold(_message("a"), lambda: released.append("a"))
    duplicates.forget(_message("a"))  # abandoned: nothing will finish it
    assert released == ["a"]
    duplicates.check(_message("b"))
    duplicates.check(_message("b"))
    duplicates.hold(_message("b"), lambda: released.append("b"))
    time.sleep(0.06)
    duplicates.check(_message("c"))  # expiry happens on the next check
    assert released == ["a", "b"]


def test_a_copy_of_a_retried_task_is_not_held():
    duplicates, released = DuplicateFilter(window=60), []
    first = _message()
    duplicates.check(first)
    duplicates.finish(first, None)  # the first copy was retried: its retry carries the task on
    assert duplicates.check(_message()) == (True, None)
    assert not duplicates.hold(_message(), lambda: released.append("copy"))
    assert duplicates.finish(first, b"later") == []  # the first finish stands


def test_kept_replies_stay_under_their_byte_budget_oldest_forgotten_first():
    duplicates = DuplicateFilter(window=600, max_bytes=10_000)
    for n in range(30):  # 30 replies of 1,000 bytes: three times the budget
        duplicates.check(_message(f"t-{n}"))
        duplicates.finish(_message(f"t-{n}"), bytes(1_000))
    assert duplicates.kept_bytes() <= 10_000
    assert duplicates.check(_message("t-29")) == (True, bytes(1_000))  # the newest are kept
    assert duplicates.check(_message("t-0")) == (False, None)  # the oldest forgotten: it runs
