"""`kafkatask worker`: run an app's tasks."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from types import FrameType
from typing import Any

import click

from kafkatask.cli.common import LEVELS, configure_logging
from kafkatask.cli.loading import load_app
from kafkatask.exceptions import KafkaTaskError
from kafkatask.worker import Worker
from kafkatask.worker.merged_metrics import MergedMetrics
from kafkatask.worker.supervisor import Supervisor


@click.command()
@click.option("-A", "--app", "app_spec", required=True, help="package.module[:app] of the App.")
@click.option(
    "-c",
    "--concurrency",
    type=click.IntRange(min=1),
    default=None,
    help="Tasks running at once [settings.concurrency, 8].",
)
@click.option("-Q", "--queues", default=None, help="Comma-separated queues [the default queue].")
@click.option(
    "-l",
    "--loglevel",
    type=click.Choice(LEVELS, case_sensitive=False),
    default="info",
    show_default=True,
)
@click.option("-n", "--name", default=None, help="Worker id in events and logs.")
@click.option(
    "--grace",
    type=click.FloatRange(min=0),
    default=None,
    help="Seconds running tasks get to finish on shutdown [settings.shutdown_grace].",
)
@click.option(
    "--metrics-port",
    type=click.IntRange(min=0, max=65535),
    default=None,
    help="Serve Prometheus metrics at http://HOST:PORT/metrics [off].",
)
@click.option(
    "--metrics-host", default="0.0.0.0", show_default=True, help="Address the metrics listen on."
)
@click.option(
    "--connect-timeout",
    type=click.FloatRange(min=0),
    default=None,
    help="Give up when Kafka has not answered at start for this many seconds [wait for it].",
)
@click.option(
    "-P",
    "--processes",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes, each with -c slots, under one supervisor (one per core).",
)
@click.option("--process-index", type=int, default=None, hidden=True)
def worker(
    *,
    app_spec: str,
    concurrency: int | None,
    queues: str | None,
    loglevel: str,
    name: str | None,
    grace: float | None,
    metrics_port: int | None,
    metrics_host: str,
    connect_timeout: float | None,
    processes: int,
    process_index: int | None,
) -> None:
    """Consume task requests and run them, until SIGTERM or Ctrl-C (twice exits at once)."""
    if process_index is not None:
        multiprocessing.current_process().name = f"Worker-{process_index}"
    configure_logging(loglevel)
    if processes > 1:
        options = click.get_current_context().params
        sys.exit(_supervise(options, processes, metrics_port, metrics_host, grace))
    app = load_app(app_spec)
    if grace is not None:
        app.settings = app.settings.model_copy(update={"shutdown_grace": grace})
    queue_list = [q.strip() for q in queues.split(",") if q.strip()] if queues else None
    runner = Worker(
        app,
        queues=queue_list,
        concurrency=concurrency,
        name=name,
        metrics_port=metrics_port,
        metrics_host=metrics_host,
        connect_timeout=connect_timeout,
    )
    _install_signal_handlers(runner)
    if process_index is not None:
        _serve_the_supervisor(runner)
    try:
        runner.run()
    except KafkaTaskError as error:  # one line, not a traceback: it says what to do
        raise click.ClickException(str(error)) from None


def _supervise(
    options: dict[str, Any],
    processes: int,
    metrics_port: int | None,
    metrics_host: str,
    grace: float | None,
) -> int:
    """Run `processes` children of this same command under a Supervisor; its exit code."""
    multiprocessing.current_process().name = "Supervisor"
    load_app(options["app_spec"])  # a usage error now, not once per child
    supervisor = Supervisor(
        processes,
        lambda index, port: _child_command(options, index, port),
        metrics=metrics_port is not None,
        grace=grace if grace is not None else 30.0,
    )
    merged = None
    if metrics_port is not None:
        merged = MergedMetrics(supervisor, metrics_port, metrics_host)
        merged.start()
    try:
        return supervisor.run()
    finally:
        if merged is not None:
            merged.stop()


def _child_command(options: dict[str, Any], index: int, metrics_port: int | None) -> list[str]:
    """`kafkatask worker` with the same options, for child `index`: one process, its own name,
    and its metrics (if any) on a loopback port of its own."""
    command = [sys.executable, "-m", "kafkatask", "worker", "-A", options["app_spec"]]
    command += ["-l", options["loglevel"], "--process-index", str(index)]
    for flag, key in _CHILD_OPTIONS:
        if options[key] is not None:
            command += [flag, str(options[key])]
    if options["name"] is not None:
        command += ["-n", f"{options['name']}-{index}"]
    if metrics_port is not None:
        command += ["--metrics-port", str(metrics_port), "--metrics-host", "127.0.0.1"]
    return command


_CHILD_OPTIONS = [
    ("-c", "concurrency"),
    ("-Q", "queues"),
    ("--grace", "grace"),
    ("--connect-timeout", "connect_timeout"),
]


def _serve_the_supervisor(runner: Worker) -> None:
    """A child of `--processes`: stop with the supervisor, and take signals only from it.

    Ctrl-C reaches the whole process group; the supervisor forwards it as SIGTERM, and a child
    that got both would take the second for "exit at once". A child whose supervisor died
    (SIGKILL) stops too, instead of running on unsupervised.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        logging.getLogger("kafkatask.worker").warning("the supervisor is gone: stopping")
        runner.stop()

    threading.Thread(target=watch, name="kafkatask-supervised", daemon=True).start()


def _install_signal_handlers(runner: Worker) -> None:
    received: list[int] = []

    def handle(signum: int, frame: FrameType | None) -> None:
        if received:
            logging.getLogger("kafkatask.worker").warning("second signal: exiting at once")
            os._exit(1)
        received.append(signum)
        logging.getLogger("kafkatask.worker").warning(
            "%s: finishing running tasks, then stopping (send it again to exit at once)",
            signal.Signals(signum).name,
        )
        runner.stop()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
