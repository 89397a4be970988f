"""Fault 12: the broker is away for a few seconds under load, and the logs stay readable.

librdkafka logs each failed connection attempt of each client; a worker and its caller once
wrote about a thousand lines in an 8 s outage. Each process must now say it in three kinds of
line (kafkatask/kafka/client_log.py): Kafka is unreachable, still unreachable (once per
interval), and back; and every task still completes.
"""

from __future__ import annotations

import logging
import threading
import time

import pytest

from kafkatask import App
from kafkatask.local_broker import LocalBroker
from kafkatask.local_broker.launcher import default_home
from tests.faults.conftest import Workers
from tests.helpers import free_port_pair, wait_for

DOWN_SECONDS = 7.0
INTERVAL = 2.0


def _about_kafka(lines: list[str]) -> list[str]:
    return [line for line in lines if "Kafka at " in line]


@pytest.mark.timeout(240)
def test_an_outage_is_three_kinds_of_line_in_the_worker_and_the_caller(
    settings, tmp_path, caplog, record_figures
):
    # Given a broker of this test's own, a worker, and a caller sending 20 tasks a second
    broker = LocalBroker(
        home=tmp_path / "broker", port=free_port_pair(), cache_dir=default_home() / "cache"
    )
    broker.start()
    own = settings.model_copy(
        update={"bootstrap_servers": broker.bootstrap, "outage_log_interval": INTERVAL}
    )
    app = App("outage-client", settings=own, delivery_timeout=120.0)
    workers = Workers(own, tmp_path)
    sent: list = []
    stop = threading.Event()
    caplog.set_level(logging.DEBUG, logger="kafkatask")
    try:
        sleepy = app.task(lambda index, seconds: index, name="faults.sleepy")
        env = {"KAFKATASK_DELIVERY_TIMEOUT": "120", "KAFKATASK_OUTAGE_LOG_INTERVAL": str(INTERVAL)}
        workers.start("worker", "-c", "8", "-l", "info", env=env)
        assert sleepy.delay(-1, 0.0).get(timeout=60) == -1

        def send() -> None:
            while not stop.wait(0.05):
                sent.append(sleepy.delay(len(sent), 0.0))

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        wait_for(lambda: len(sent) >= 40, 30, "tasks on their way")
        worker_lines_before = len(workers.log("worker").splitlines())

        # When the broker stops for a few seconds, then starts again
        down_at = time.monotonic()
        broker.stop()
        time.sleep(DOWN_SECONDS)
        broker.start()  # returns once it listens: the outage lasts the start-up too
        outage = time.monotonic() - down_at
        wait_for(lambda: "answers again" in workers.log("worker"), 60, "the worker's back line")
        stop.set()
        sender.join(10)

        # Then every task completes
        assert [r.get(timeout=180) for r in sent] == list(range(len(sent)))

        # And each process said it in few lines: unreachable once, a summary per interval, back
        worker_lines = workers.log("worker").splitlines()[worker_lines_before:]
        caller_lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        for lines in (_about_kafka(worker_lines), _about_kafka(caller_lines)):
            assert sum("is unreachable (" in line for line in lines) == 1, lines
            assert sum("answers again" in line for line in lines) == 1, lines
            summaries = sum("is still unreachable" in line for line in lines)
            assert 1 <= summaries <= outage / INTERVAL + 2, lines
        noise = [line for line in worker_lines if "Task " not in line]
        assert len(noise) < 40, "\n".join(noise)
        assert len(caller_lines) < 20, "\n".join(caller_lines)
        record_figures(
            broker_down_seconds=round(outage, 1),
            tasks=len(sent),
            completed=sum(r.successful() for r in sent),
            worker_lines_other_than_task_lines=len(noise),
            caller_warning_lines=len(caller_lines),
            summary_interval_seconds=INTERVAL,
        )
    finally:
        stop.set()
        workers.stop_all()
        app.close()
        broker.stop()
