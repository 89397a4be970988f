"""Remote invoke, batch and stream (and their async twins) give what the local calls give."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from langchain_core.runnables.utils import add

from kafkatask import App, Task
from kafkatask.settings import Settings
from kafkatask.worker import Worker
from tests.integration.runnable_zoo import Case, cases, normalize

CASES = cases()


@pytest.fixture(scope="module")
def served(kafka_bootstrap_servers) -> Iterator[dict[str, tuple[Case, Task]]]:
    """Every case registered on one app, served by one worker, for the whole module."""
    settings = Settings(
        bootstrap_servers=kafka_bootstrap_servers,
        namespace=f"t-equivalence-{uuid.uuid4().hex[:8]}",
        task_partitions=4,
        result_partitions=2,
        stream_partitions=2,
        event_partitions=1,
        runnable_timeout=60,
    )
    app = App("equivalence", settings=settings)
    tasks = {case.name: (case, app.task(case.runnable, name=case.name)) for case in CASES}
    worker = Worker(app, concurrency=8)
    worker.start()
    yield tasks
    worker.stop()
    worker.join(30)
    app.close()


def test_the_suite_covers_at_least_fifteen_runnables():
    assert len(CASES) >= 15


def _local_invoke(case: Case, value):
    if case.async_only:
        return asyncio.run(case.runnable.ainvoke(value))
    return case.runnable.invoke(value)


def _local_batch(case: Case):
    if case.async_only:
        return asyncio.run(case.runnable.abatch(case.inputs))
    return case.runnable.batch(case.inputs)


def _local_stream(case: Case, value):
    if case.async_only:

        async def collect():
            return [chunk async for chunk in case.runnable.astream(value)]

        return asyncio.run(collect())
    return list(case.runnable.stream(value))


def _kind(value) -> type:
    # langchain-core's text accessors are str subclasses that travel as plain str.
    return str if isinstance(value, str) else type(value)


@pytest.mark.parametrize("name", [case.name for case in CASES])
def test_invoke(served, name):
    case, task = served[name]
    for value in case.inputs:
        assert normalize(task.invoke(value)) == normalize(_local_invoke(case, value))


@pytest.mark.parametrize("name", [case.name for case in CASES])
def test_batch(served, name):
    case, task = served[name]
    assert normalize(task.batch(case.inputs)) == normalize(_local_batch(case))


@pytest.mark.parametrize("name", [case.name for case in CASES])
def test_stream(served, name):
    case, task = served[name]
    for value in case.inputs:
        remote = list(task.stream(value))
        local = _local_stream(case, value)
        if case.unordered_stream:
            remote, local = [add(remote)], [add(local)]
        assert normalize(remote) == normalize(local)
        assert [_kind(chunk) for chunk in remote] == [_kind(chunk) for chunk in local]


@pytest.mark.parametrize("name", [case.name for case in CASES])
async def test_ainvoke(served, name):
    case, task = served[name]
    for value in case.inputs:
        assert normalize(await task.ainvoke(value)) == normalize(await case.runnable.ainvoke(value))


@pytest.mark.parametrize("name", [case.name for case in CASES])
async def test_abatch(served, name):
    case, task = served[name]
    remote = await task.abatch(case.inputs)
    assert normalize(remote) == normalize(await case.runnable.abatch(case.inputs))


@pytest.mark.parametrize("name", [case.name for case in CASES])
async def test_astream(served, name):
    case, task = served[name]
    for value in case.inputs:
        remote = [chunk async for chunk in task.astream(value)]
        local = [chunk async for chunk in case.runnable.astream(value)]
        if case.unordered_stream:
            remote, local = [add(remote)], [add(local)]
        assert normalize(remote) == normalize(local)
