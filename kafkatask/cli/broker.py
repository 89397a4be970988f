"""`kafkatask broker start|run|stop|status`: the local single-node KRaft broker."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

import click

from kafkatask.local_broker import DEFAULT_KAFKA_VERSION, BrokerStartError, LocalBroker

_options = [
    click.option("--port", default=9092, show_default=True, help="Client port on 127.0.0.1."),
    click.option(
        "--controller-port", type=int, default=None, help="KRaft controller port [port + 1]."
    ),
    click.option(
        "--home",
        type=click.Path(path_type=Path),
        default=None,
        help="Where jars, storage and logs live [$KAFKATASK_HOME or ./.kafkatask].",
    ),
    click.option(
        "--kafka-version",
        default=lambda: os.environ.get("KAFKATASK_KAFKA_VERSION", DEFAULT_KAFKA_VERSION),
        show_default=DEFAULT_KAFKA_VERSION,
        help="Apache Kafka release fetched from Maven Central.",
    ),
    click.option(
        "--heap",
        default=lambda: os.environ.get("KAFKATASK_BROKER_HEAP", "512m"),
        show_default="512m",
        help="JVM maximum heap.",
    ),
]


def _broker_options(command: click.decorators.FC) -> click.decorators.FC:
    for option in reversed(_options):
        command = option(command)
    return command


def _make(
    port: int, controller_port: int | None, home: Path | None, kafka_version: str, heap: str
) -> LocalBroker:
    broker = LocalBroker(
        port=port, controller_port=controller_port, version=kafka_version, heap=heap
    )
    if home is not None:
        broker.home = home.resolve()
    return broker


def _external(broker: LocalBroker) -> str | None:
    """The configured bootstrap servers when they point at some other broker than this one."""
    configured = os.environ.get("KAFKATASK_BOOTSTRAP_SERVERS", "").strip()
    ours = {broker.bootstrap, f"localhost:{broker.port}"}
    if configured and configured not in ours:
        return configured
    return None


def _fail(error: BrokerStartError) -> None:
    click.echo(f"kafkatask broker: {error}", err=True)
    sys.exit(1)


@click.group()
def broker() -> None:
    """A real single-node Apache Kafka broker (KRaft) on loopback, fetched through Maven."""


@broker.command()
@_broker_options
def start(**options: object) -> None:
    """Start the broker in the background and wait until it answers (reuses a running one)."""
    local = _make(**options)  # type: ignore[arg-type]
    if (elsewhere := _external(local)) is not None:
        click.echo(f"KAFKATASK_BOOTSTRAP_SERVERS={elsewhere}: using that broker, not starting one")
        return
    began = time.monotonic()
    try:
        started = local.start()
    except BrokerStartError as error:
        _fail(error)
    if started:
        took = time.monotonic() - began
        click.echo(f"Kafka {local.version} listening on {local.bootstrap} (started in {took:.1f}s)")
        click.echo(f"log: {local.log_file}")
    else:
        click.echo(f"a Kafka broker already answers on {local.bootstrap}; reusing it")


@broker.command()
@_broker_options
def run(**options: object) -> None:
    """Start the broker in the foreground; Ctrl-C stops it."""
    local = _make(**options)  # type: ignore[arg-type]
    try:
        if not local.start():
            _fail(BrokerStartError(f"a Kafka broker already answers on {local.bootstrap}"))
    except BrokerStartError as error:
        _fail(error)
    click.echo(f"Kafka {local.version} listening on {local.bootstrap}; Ctrl-C stops it")

    def _stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        while local.pid() is not None:
            time.sleep(0.5)
        _fail(BrokerStartError(f"the broker exited on its own; see {local.log_file}"))
    except KeyboardInterrupt:
        local.stop()
        click.echo("broker stopped")


@broker.command()
@_broker_options
def stop(**options: object) -> None:
    """Stop the broker that `kafkatask broker start` started."""
    local = _make(**options)  # type: ignore[arg-type]
    if local.stop():
        click.echo(f"stopped the broker on {local.bootstrap}")
    else:
        click.echo(f"no broker started by kafkatask runs on {local.bootstrap}")


@broker.command()
@_broker_options
def status(**options: object) -> None:
    """Say whether a broker answers on the address, and whether this launcher started it."""
    local = _make(**options)  # type: ignore[arg-type]
    answers = local.answers()
    pid = local.pid()
    owner = f"started by kafkatask, pid {pid}" if pid else "not started by kafkatask"
    click.echo(f"{local.bootstrap}: {'answering' if answers else 'not answering'} ({owner})")
    sys.exit(0 if answers else 1)
