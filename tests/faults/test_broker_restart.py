"""Fault 2: restart the broker in the middle of 2,000 tasks; everyone reconnects."""

from __future__ import annotations

import itertools
import time

import pytest

from kafkatask import App
from kafkatask.local_broker import LocalBroker
from kafkatask.local_broker.launcher import default_home
from tests.faults.conftest import Workers
from tests.helpers import free_port_pair, wait_for


@pytest.mark.timeout(300)
@pytest.mark.parametrize("protocol", ["consumer", "classic"])
def test_broker_restart_mid_run(protocol, settings, tmp_path, record_figures):
    # Given a broker of this test's own, a worker and 2,000 tasks on their way
    broker = LocalBroker(
        home=tmp_path / "broker", port=free_port_pair(), cache_dir=default_home() / "cache"
    )
    broker.start()
    own = settings.model_copy(update={"bootstrap_servers": broker.bootstrap})
    app = App("restart-client", settings=own, delivery_timeout=120.0)
    workers = Workers(own, tmp_path)
    try:
        sleepy = app.task(lambda index, seconds: index, name="faults.sleepy")
        env = {"KAFKATASK_DELIVERY_TIMEOUT": "120", "KAFKATASK_GROUP_PROTOCOL": protocol}
        workers.start("worker", "-c", "8", env=env)
        results = [sleepy.delay(i, 0.01) for i in range(2000)]
        arrived: dict[str, float] = {}
        for r in results:
            r.on_ready(lambda r=r: arrived.setdefault(r.id, time.monotonic()))
        wait_for(lambda: sum(r.ready() for r in results) >= 400, 120, "400 results")

        # When the broker stops and starts again
        down_at = time.monotonic()
        done_before = sum(r.ready() for r in results)
        broker.stop()
        time.sleep(2.0)  # the broker is really away for a while (this is the fault)
        broker.start()
        back_at = time.monotonic()
        downtime = back_at - down_at

        # Then clients and workers reconnect by themselves and every task completes
        assert [r.get(timeout=240) for r in results] == list(range(2000))
        times = sorted(arrived.values())
        longest_gap = max(later - earlier for earlier, later in itertools.pairwise(times))
        after = min(t for t in times if t > back_at)
        record_figures(
            protocol=protocol,
            session_timeout_seconds=own.session_timeout_ms / 1000,
            sent=2000,
            completed=sum(r.successful() for r in results),
            lost=2000 - sum(r.successful() for r in results),
            answered_before_restart=done_before,
            broker_down_seconds=round(downtime, 1),
            longest_gap_between_results_seconds=round(longest_gap, 1),
            seconds_from_broker_back_to_next_result=round(after - back_at, 1),
            ran_twice=sum(1 for c in workers.executions().values() if c > 1),
            duplicates_suppressed=app.connection.router.duplicates,
            dead_lettered=0,
        )
    finally:
        workers.stop_all()
        app.close()
        broker.stop()


@pytest.mark.timeout(180)
def test_a_worker_started_before_its_broker_waits_for_it(settings, tmp_path, record_figures):
    # Given a worker started while its broker is not running yet
    broker = LocalBroker(
        home=tmp_path / "broker", port=free_port_pair(), cache_dir=default_home() / "cache"
    )
    own = settings.model_copy(update={"bootstrap_servers": broker.bootstrap})
    workers = Workers(own, tmp_path)
    env = {"KAFKATASK_CONNECT_TIMEOUT": "2"}
    began = time.monotonic()
    waiting = workers.start("early", "-c", "2", env=env)
    wait_for(lambda: workers.log("early").count("waiting for Kafka") >= 2, 60, "two attempts")
    app = App("early-client", settings=own)
    try:
        # When the broker starts, well after the worker's connect timeout
        broker.start()
        up_at = time.monotonic()

        # Then the worker connects by itself, and runs tasks
        sleepy = app.task(lambda index, seconds: index, name="faults.sleepy")
        assert sleepy.delay(7, 0.0).get(timeout=60) == 7
        first_result = time.monotonic() - up_at
        assert waiting.poll() is None
        log = workers.log("early")
        assert "Traceback" not in log
        # at most one line per attempt (each waits connect_timeout, then a second more)
        attempts = log.count("waiting for Kafka")
        assert attempts <= (time.monotonic() - began) / 3 + 1
        assert len(log.splitlines()) < 60, log
        record_figures(
            seconds_before_the_broker_started=round(up_at - began, 1),
            connect_timeout_seconds=2.0,
            attempts_logged=attempts,
            log_lines=len(log.splitlines()),
            seconds_from_broker_up_to_first_result=round(first_result, 1),
            worker_alive=True,
        )
    finally:
        workers.stop_all()
        app.close()
        broker.stop()


def test_a_worker_waiting_for_its_broker_stops_on_sigterm_or_its_connect_timeout(
    settings, tmp_path
):
    nowhere = settings.model_copy(update={"bootstrap_servers": f"127.0.0.1:{free_port_pair()}"})
    workers = Workers(nowhere, tmp_path)
    env = {"KAFKATASK_CONNECT_TIMEOUT": "1"}
    # SIGTERM while waiting: a clean exit, with one line saying so
    waiting = workers.start("patient", "-c", "1", env=env)
    wait_for(lambda: "waiting for Kafka" in workers.log("patient"), 60, "the first attempt")
    waiting.terminate()
    assert waiting.wait(30) == 0
    assert "stopped before Kafka answered" in workers.log("patient")
    # --connect-timeout: exit code 1 and one line naming the broker, no traceback
    giving_up = workers.start("impatient", "-c", "1", "--connect-timeout", "2", env=env)
    assert giving_up.wait(60) == 1
    log = workers.log("impatient")
    assert "Traceback" not in log
    (error,) = [line for line in log.splitlines() if line.startswith("Error: ")]
    assert "gave up after" in error
    assert nowhere.bootstrap_servers in error
