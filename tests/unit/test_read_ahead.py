"""ReadAhead takes the oldest record of any partition; ReadyQueue starts the oldest job first."""

from __future__ import annotations

from types import SimpleNamespace

from confluent_kafka import TIMESTAMP_CREATE_TIME, TIMESTAMP_NOT_AVAILABLE

from kafkatask.worker.read_ahead import ReadAhead
from kafkatask.worker.ready_queue import ReadyQueue


class FakeRecord:
    """A consumed record as far as the read-ahead looks at it."""

    def __init__(self, offset: int, millis: float, sent_at: float | None = None) -> None:
        self.offset = offset
        self.millis = millis
        self.sent_at = sent_at

    def timestamp(self) -> tuple[int, float]:
        return (TIMESTAMP_CREATE_TIME, self.millis)

    def value(self) -> bytes:
        return b"x" * 100


def _taken(read_ahead: ReadAhead, skip: frozenset = frozenset()) -> list[tuple[int, int]]:
    order = []
    while (taken := read_ahead.pop_oldest(set(skip))) is not None:
        order.append((taken.tp[1], taken.record.offset))
    return order


def test_records_come_out_oldest_first_across_partitions_and_in_order_within_one():
    # Given a fetch that delivered partition 0's records first, then partition 1's
    read_ahead = ReadAhead(100, 1 << 20)
    for offset, millis in enumerate([10, 30, 50]):
        read_ahead.add(("t", 0), FakeRecord(offset, millis))
    for offset, millis in enumerate([20, 40]):
        read_ahead.add(("t", 1), FakeRecord(offset, millis))
    # Then they are taken in the order they were sent
    assert _taken(read_ahead) == [(0, 0), (1, 0), (0, 1), (1, 1), (0, 2)]
    assert len(read_ahead) == 0


def test_a_partition_keeps_offset_order_even_when_its_clocks_disagree():
    # Two producers with skewed clocks write to one partition: offsets still come in order
    read_ahead = ReadAhead(100, 1 << 20)
    read_ahead.add(("t", 0), FakeRecord(0, 50))
    read_ahead.add(("t", 0), FakeRecord(1, 10))
    read_ahead.add(("t", 1), FakeRecord(0, 20))
    assert _taken(read_ahead) == [(1, 0), (0, 0), (0, 1)]


def test_the_sent_at_of_a_task_orders_records_of_the_same_millisecond():
    read_ahead = ReadAhead(100, 1 << 20, sent_at=lambda record: record.sent_at)
    read_ahead.add(("t", 0), FakeRecord(0, 7, sent_at=0.0072))
    read_ahead.add(("t", 0), FakeRecord(1, 7, sent_at=0.0079))
    read_ahead.add(("t", 1), FakeRecord(0, 7, sent_at=0.0071))
    read_ahead.add(("t", 1), FakeRecord(1, 7, sent_at=0.0075))
    assert _taken(read_ahead) == [(1, 0), (0, 0), (1, 1), (0, 1)]


def test_records_that_tie_are_taken_round_robin_between_partitions():
    read_ahead = ReadAhead(100, 1 << 20)
    for offset in range(3):
        read_ahead.add(("t", 0), FakeRecord(offset, 7))
    for offset in range(2):
        read_ahead.add(("t", 1), FakeRecord(offset, 7))
    assert _taken(read_ahead) == [(0, 0), (1, 0), (0, 1), (1, 1), (0, 2)]


def test_skipped_partitions_wait_and_dropped_ones_are_gone():
    read_ahead = ReadAhead(100, 1 << 20)
    read_ahead.add(("t", 0), FakeRecord(0, 1))
    read_ahead.add(("t", 1), FakeRecord(0, 2))
    read_ahead.add(("t", 2), FakeRecord(0, 3))
    assert _taken(read_ahead, skip=frozenset({("t", 0)})) == [(1, 0), (2, 0)]
    assert read_ahead.ready(set())
    assert not read_ahead.ready({("t", 0)})
    assert read_ahead.drop([("t", 0)]) == 1
    assert len(read_ahead) == 0
    read_ahead.add(("t", 0), FakeRecord(5, 9))  # the partition came back
    assert _taken(read_ahead) == [(0, 5)]


def test_it_is_full_at_its_record_or_byte_bound():
    by_records = ReadAhead(2, 1 << 20)
    by_records.add(("t", 0), FakeRecord(0, 1))
    assert by_records.room() == 1
    by_records.add(("t", 0), FakeRecord(1, 1))
    assert by_records.full()
    assert by_records.room() == 0
    by_bytes = ReadAhead(100, 150)
    by_bytes.add(("t", 0), FakeRecord(0, 1))
    assert not by_bytes.full()
    by_bytes.add(("t", 0), FakeRecord(1, 1))
    assert by_bytes.full()


def test_a_record_without_a_timestamp_counts_as_read_now():
    class Untimed(FakeRecord):
        def timestamp(self) -> tuple[int, float]:
            return (TIMESTAMP_NOT_AVAILABLE, 0)

    read_ahead = ReadAhead(100, 1 << 20)
    read_ahead.add(("t", 0), Untimed(0, 0))
    read_ahead.add(("t", 1), FakeRecord(0, 1))  # sent in 1970
    assert _taken(read_ahead) == [(1, 0), (0, 0)]


def _job(millis: float, partition: int, offset: int, tie: int = 0) -> SimpleNamespace:
    record = SimpleNamespace(
        timestamp=millis, tie=tie, topic="t", partition=partition, offset=offset
    )
    return SimpleNamespace(record=record, name=f"{partition}@{offset}")


def test_the_ready_queue_starts_the_oldest_job_whenever_it_became_ready():
    ready = ReadyQueue()
    for job in (_job(30, 0, 3), _job(10, 1, 1), _job(20, 0, 2)):
        ready.push(job)
    assert ready.pop().name == "1@1"
    ready.push(_job(5, 2, 0))  # an older record, fetched a moment later
    assert [ready.pop().name for _ in range(len(ready))] == ["2@0", "0@2", "0@3"]


def test_replacing_the_ready_queue_keeps_the_order():
    ready = ReadyQueue()
    jobs = [_job(millis, 0, millis) for millis in (4, 1, 3, 2)]
    ready.replace(jobs)
    assert ready.jobs() == 4
    assert [ready.pop().record.offset for _ in range(4)] == [1, 2, 3, 4]
