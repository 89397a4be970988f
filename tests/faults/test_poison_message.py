"""Fault 3: a poison message among 1,000 good ones is dead-lettered after its retries."""

from __future__ import annotations

import pytest

from kafkatask.dlq import DeadLetterQueue
from tests.apps.fault_app import PoisonError
from tests.helpers import wait_for


@pytest.mark.timeout(180)
def test_poison_among_good_messages(client, workers, record_figures):
    process = client.task(lambda item: item, name="faults.process")
    worker = workers.start("worker", "-c", "8")
    items = [f"item-{i}" for i in range(500)] + ["poison"] + [f"item-{i}" for i in range(500, 1000)]
    results = [process.delay(item) for item in items]

    good = [r for item, r in zip(items, results, strict=True) if item != "poison"]
    assert [r.get(timeout=120) for r in good] == [f"ITEM-{i}" for i in range(1000)]
    poisoned = results[500]
    with pytest.raises(PoisonError, match="can never be processed"):
        poisoned.get(timeout=60)
    assert poisoned.retries == 2

    dlq = DeadLetterQueue(client)
    wait_for(lambda: len(dlq.entries()) == 1, 30, "the dead letter")
    [letter] = [entry.letter for entry in dlq.entries()]
    assert letter.task_id == poisoned.id
    assert letter.reason == "retries-exhausted"
    assert len(letter.attempts) == 3
    assert worker.poll() is None  # the worker never stopped
    record_figures(
        sent=1001,
        completed=sum(r.successful() for r in good),
        lost=1000 - sum(r.successful() for r in good),
        retries_of_the_poison=poisoned.retries,
        dead_lettered=len(dlq.entries()),
        duplicates_suppressed=client.connection.router.duplicates,
    )
