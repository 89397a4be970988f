"""The reading rule of streams (streaming.py), record by record, with and without restarts."""

from __future__ import annotations

import pytest

from kafkatask.protocol import ErrorInfo, StreamChunk
from kafkatask.serialization import ValueCodec
from kafkatask.streaming import ChunkStream, StreamCursor, StreamFollower, StreamRestart

START = StreamCursor(task_id="t", topic="ns.streams", partition=0, offset=10)


def _record(attempt: str, kind: str, seq: int = 0, data: object = None) -> StreamChunk:
    error = ErrorInfo(type="ValueError", message="boom") if kind == "error" else None
    return StreamChunk(
        id="t", task="demo", attempt=attempt, seq=seq, kind=kind, data=data, error=error
    )  # type: ignore[arg-type]


def _log(*records: StreamChunk) -> list[tuple[int, StreamChunk]]:
    return [(10 + index, record) for index, record in enumerate(records)]


# A worker that died after two chunks, and the attempt that ran the task again.
RERUN = _log(
    _record("a", "start"),
    _record("a", "chunk", 0, "one "),
    _record("a", "chunk", 1, "two "),
    _record("b", "start"),
    _record("b", "chunk", 0, "uno "),
    _record("b", "chunk", 1, "dos "),
    _record("b", "chunk", 2, "tres "),
    _record("b", "end", 3),
)


def _read(records, cursor=START, **options) -> list[object]:
    return list(ChunkStream(iter(records), cursor, ValueCodec(), **options))


def test_by_default_a_new_attempt_continues_after_the_last_seq_delivered():
    assert _read(RERUN) == ["one ", "two ", "tres "]


def test_with_report_restarts_a_new_attempt_is_announced_and_read_from_its_start():
    assert _read(RERUN, report_restarts=True) == [
        "one ",
        "two ",
        StreamRestart("b"),
        "uno ",
        "dos ",
        "tres ",
    ]


def test_a_new_attempt_before_any_chunk_is_no_restart():
    records = _log(
        _record("a", "start"),
        _record("b", "start"),
        _record("b", "chunk", 0, "x"),
        _record("b", "end", 1),
    )
    assert _read(records, report_restarts=True) == ["x"]


def test_resuming_from_any_cursor_gives_the_rest_with_no_gap_and_no_repeat():
    whole = _read(RERUN, report_restarts=True)
    stream = ChunkStream(iter(RERUN), START, ValueCodec(), report_restarts=True)
    for taken in range(len(whole)):
        cursor = stream.cursor
        rest = [(offset, record) for offset, record in RERUN if offset >= cursor.offset]
        assert _read(rest, cursor, report_restarts=True) == whole[taken:]
        next(stream)


def test_the_restart_cursor_reads_its_record_again_as_the_new_attempts():
    # The new attempt's first record is a chunk (no start marker seen): resuming right after
    # the restart still delivers that chunk.
    records = _log(
        _record("a", "chunk", 0, "old"), _record("b", "chunk", 0, "new"), _record("b", "end", 1)
    )
    follower = StreamFollower(START, report_restarts=True)
    follower.accept(*records[0])
    restart, chunk = follower.accept(*records[1])
    assert restart[:2] == ("restart", "b")
    assert chunk[:2] == ("chunk", "new")
    resumed = [(offset, record) for offset, record in records if offset >= restart[2].offset]
    assert _read(resumed, restart[2], report_restarts=True) == ["new"]


def test_an_older_attempt_that_wakes_up_is_never_followed_again():
    records = _log(
        _record("a", "chunk", 0, "a0"),
        _record("b", "start"),
        _record("a", "chunk", 1, "a1"),
        _record("b", "chunk", 0, "b0"),
        _record("a", "end", 2),
        _record("b", "end", 1),
    )
    assert _read(records, report_restarts=True) == ["a0", StreamRestart("b"), "b0"]


def test_an_error_after_a_restart_is_raised_after_the_restart_is_yielded():
    records = _log(_record("a", "chunk", 0, "a0"), _record("b", "error"))
    stream = ChunkStream(iter(records), START, ValueCodec(), report_restarts=True)
    assert next(stream) == "a0"
    assert next(stream) == StreamRestart("b")
    with pytest.raises(ValueError, match="boom"):
        next(stream)
    assert stream.task == "demo"
