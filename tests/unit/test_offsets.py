"""OffsetTracker commits only past contiguous finished offsets."""

from __future__ import annotations

from kafkatask.worker.offsets import OffsetTracker

TP = ("t", 0)


def test_position_waits_for_the_oldest_unfinished_offset():
    tracker = OffsetTracker()
    tracker.assign(TP)
    receipts = [tracker.track(TP, offset) for offset in range(10, 15)]
    assert tracker.position(TP) == 10
    tracker.complete(receipts[2])
    tracker.complete(receipts[1])
    assert tracker.position(TP) == 10  # 10 still runs
    tracker.complete(receipts[0])
    assert tracker.position(TP) == 13
    tracker.complete(receipts[4])
    assert tracker.position(TP) == 13
    tracker.complete(receipts[3])
    assert tracker.position(TP) == 15  # everything done: one past the last


def test_uncommitted_reports_only_moved_positions():
    tracker = OffsetTracker()
    tracker.assign(TP)
    first = tracker.track(TP, 0)
    assert tracker.uncommitted() == {TP: 0}
    tracker.committed({TP: 0})
    assert tracker.uncommitted() == {}
    tracker.complete(first)
    assert tracker.uncommitted() == {TP: 1}


def test_abandoned_offset_blocks_the_position_and_is_not_owed():
    tracker = OffsetTracker()
    tracker.assign(TP)
    kept, dropped, after = (tracker.track(TP, offset) for offset in range(3))
    assert tracker.owed(TP) == 3
    tracker.abandon(dropped)
    tracker.complete(kept)
    tracker.complete(after)
    assert tracker.owed(TP) == 0
    assert tracker.position(TP) == 1  # the next owner gets the dropped record again


def test_completion_from_an_earlier_assignment_is_ignored():
    tracker = OffsetTracker()
    tracker.assign(TP)
    stale = tracker.track(TP, 5)
    tracker.forget(TP)
    tracker.assign(TP)
    fresh = tracker.track(TP, 5)
    tracker.complete(stale)
    assert tracker.position(TP) == 5
    tracker.complete(fresh)
    assert tracker.position(TP) == 6


def test_records_of_a_partition_not_assigned_are_not_tracked():
    tracker = OffsetTracker()
    assert tracker.track(TP, 0) is None  # fetched just before its partition was revoked
    tracker.assign(TP)
    tracker.forget(TP)
    assert tracker.track(TP, 1) is None
    assert tracker.partitions() == []


def test_untrack_takes_back_a_record_that_will_be_read_again():
    tracker = OffsetTracker()
    tracker.assign(TP)
    done, waiting = tracker.track(TP, 4), tracker.track(TP, 5)
    assert done is not None
    assert waiting is not None
    tracker.complete(done)
    tracker.untrack(waiting)  # the scheduler pauses at 5 and reads it again when due
    assert tracker.owed(TP) == 0
    assert tracker.position(TP) == 5
    again = tracker.track(TP, 5)
    assert again is not None
    tracker.complete(again)
    assert tracker.position(TP) == 6


def test_unconfirmed_counts_what_a_crash_would_run_again():
    # Given ten records read from offset 100, the first still running
    tracker = OffsetTracker()
    tracker.assign(TP)
    receipts = [tracker.track(TP, offset) for offset in range(100, 110)]
    for receipt in receipts[1:]:
        tracker.complete(receipt)
    # all ten would run again: nothing is committed past the first
    assert tracker.unconfirmed(TP) == 10
    assert tracker.most_unsent() == 0
    # When the first finishes, everything is done but not yet committed
    tracker.complete(receipts[0])
    assert tracker.most_unsent() == 10
    assert tracker.unconfirmed(TP) == 10
    # a commit that is sent but not confirmed still leaves them at risk
    tracker.committed({TP: 110})
    assert tracker.most_unsent() == 0
    assert tracker.unconfirmed(TP) == 10
    # Then once the broker confirms it, none would
    tracker.confirmed({TP: 110})
    assert tracker.unconfirmed(TP) == 0


def test_a_late_confirmation_of_an_older_commit_does_not_move_back():
    tracker = OffsetTracker()
    tracker.assign(TP)
    for offset in range(5):
        tracker.complete(tracker.track(TP, offset))
    tracker.confirmed({TP: 5})
    tracker.confirmed({TP: 3})
    assert tracker.unconfirmed(TP) == 0
