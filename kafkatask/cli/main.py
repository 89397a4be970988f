"""`kafkatask`: the command group; each sub-command lives in a module of its own."""

from __future__ import annotations

import click

from kafkatask.cli.broker import broker
from kafkatask.cli.dashboard import dashboard
from kafkatask.cli.dlq import dlq
from kafkatask.cli.gateway import gateway
from kafkatask.cli.topics import topics
from kafkatask.cli.worker import worker


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kafkatask")
def cli() -> None:
    """kafkatask: Celery-style tasks and LangChain Runnables over Apache Kafka."""


cli.add_command(broker)
cli.add_command(worker)
cli.add_command(topics)
cli.add_command(dlq)
cli.add_command(dashboard)
cli.add_command(gateway)


def main() -> None:
    cli()
