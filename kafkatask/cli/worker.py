"""`kafkatask worker`: run an app's tasks."""

from __future__ import annotations

import logging
import os
import signal
from types import FrameType

import click

from kafkatask.cli.loading import load_app
from kafkatask.exceptions import KafkaTaskError
from kafkatask.worker import Worker

_LEVELS = ["debug", "info", "warning", "error", "critical"]


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="[%(asctime)s: %(levelname)s/%(processName)s] %(message)s",
    )


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
    type=click.Choice(_LEVELS, case_sensitive=False),
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
) -> None:
    """Consume task requests and run them, until SIGTERM or Ctrl-C (twice exits at once)."""
    configure_logging(loglevel)
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
    try:
        runner.run()
    except KafkaTaskError as error:  # one line, not a traceback: it says what to do
        raise click.ClickException(str(error)) from None


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
