"""A task's result read back from its reply partition, by another client, from a cursor."""

from __future__ import annotations

import pytest

from kafkatask import App, ResultCursor, TaskTimeoutError


def _cursor(app: App, task_id: str) -> ResultCursor:
    address = app.reply_to()
    return ResultCursor(
        task_id=task_id,
        topic=address.topic,
        partition=address.partition,
        offset=app.reply_offsets().results,
    )


def test_another_client_reads_a_result_back_from_its_cursor(app, settings, start_worker):
    # Given a task sent by one client, its cursor noted before it was sent
    add = app.task(lambda x, y: x + y, name="add")
    fail = app.task(lambda: 1 / 0, name="fail")
    start_worker(app)
    added, failed = _cursor(app, "added-1"), _cursor(app, "failed-1")
    assert add.apply_async((2, 3), task_id="added-1").get(timeout=30) == 5
    fail.apply_async(task_id="failed-1").get(timeout=30, propagate=False)

    # When another client, which sent nothing, reads the results back
    with App("elsewhere", settings=settings) as elsewhere:
        done = elsewhere.fetch_result(added, timeout=30)
        broken = elsewhere.fetch_result(failed, timeout=30)

        # Then it gets the same outcomes as the sender
        assert done.get(timeout=0) == 5
        assert done.worker == app.AsyncResult("added-1").worker
        with pytest.raises(ZeroDivisionError):
            broken.get(timeout=0)


async def test_an_unknown_task_times_out_and_says_so(app):
    cursor = _cursor(app, "never-sent")
    with pytest.raises(TaskTimeoutError, match="never-sent has no result"):
        await app.afetch_result(cursor, timeout=0.5)
