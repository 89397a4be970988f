"""A long-lived client does not hold results nobody waits for (result_wait_expiry)."""

from __future__ import annotations

import asyncio

import pytest

from kafkatask import App, TaskTimeoutError
from tests.helpers import wait_for


@pytest.fixture
def forgetful(settings):
    app = App("tests", settings=settings.model_copy(update={"result_wait_expiry": 0.5}))
    yield app
    app.close()


def test_a_client_giving_up_on_10000_results_holds_none_of_them(forgetful, start_worker):
    double = forgetful.task(lambda x: 2 * x, name="double")

    # Given 10,000 tasks sent while no worker runs, and callers that gave up on some of them
    handles = [double.delay(i) for i in range(10_000)]
    for handle in handles[:3]:
        with pytest.raises(TaskTimeoutError):
            handle.get(timeout=0.1)
    router = forgetful.connection.router

    # When nobody has waited for them for result_wait_expiry, the client holds none of them
    wait_for(lambda: router.pending() == 0, 10, "the idle slots to be released")
    assert router.released == 10_000

    # Then a later get on a handle reads its result back from Kafka, once it is there
    start_worker(forgetful)
    assert handles[0].get(timeout=60) == 0
    assert handles[9_999].get(timeout=60) == 19_998
    assert asyncio.run(handles[1].aget(timeout=60)) == 2
    assert router.pending() == 0


def test_a_slot_someone_waits_on_is_never_released(forgetful, start_worker):
    slow = forgetful.task(lambda: "late", name="slow")
    handle = slow.delay()

    # A caller waits three times as long as result_wait_expiry before any worker runs
    with pytest.raises(TaskTimeoutError):
        handle.get(timeout=1.5)
    assert forgetful.connection.router.released == 0

    start_worker(forgetful)
    assert handle.get(timeout=60) == "late"


def test_a_result_not_there_when_read_back_says_so(forgetful):
    never = forgetful.task(lambda: None, name="never")
    handle = never.delay()
    wait_for(lambda: forgetful.connection.router.pending() == 0, 10, "the slot to be released")

    with pytest.raises(TaskTimeoutError) as raised:
        handle.get(timeout=1)
    assert "result_wait_expiry" in "".join(raised.value.__notes__)
