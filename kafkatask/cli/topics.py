"""`kafkatask topics init|list`: the namespace's topics."""

from __future__ import annotations

import click

from kafkatask.app import App
from kafkatask.cli.loading import load_app
from kafkatask.kafka import TopicAdmin
from kafkatask.kafka.config import common_config

_app_option = click.option(
    "-A",
    "--app",
    "app_spec",
    default=None,
    help="package.module[:app]; without it, settings come from KAFKATASK_* variables.",
)


def _app(spec: str | None) -> App:
    return load_app(spec) if spec else App()


def _admin(app: App) -> TopicAdmin:
    return TopicAdmin(common_config(app.settings, f"{app.name}-cli"), app.settings.connect_timeout)


@click.group()
def topics() -> None:
    """Create and list the topics of a namespace."""


@topics.command()
@_app_option
@click.option("-Q", "--queues", default=None, help="Comma-separated queues [the default queue].")
def init(app_spec: str | None, queues: str | None) -> None:
    """Create every topic the namespace needs (the missing ones)."""
    app = _app(app_spec)
    names = [q.strip() for q in queues.split(",")] if queues else [app.settings.default_queue]
    created = _admin(app).ensure(app.topology.all(names))
    for name in created:
        click.echo(f"created {name}")
    if not created:
        click.echo("all topics exist")


@topics.command(name="list")
@_app_option
def list_topics(app_spec: str | None) -> None:
    """List the namespace's topics with their partition counts."""
    app = _app(app_spec)
    found = _admin(app).partitions()
    mine = sorted(name for name in found if app.topology.names.owns(name))
    if not mine:
        click.echo(f"no topics in namespace {app.settings.namespace!r}")
    for name in mine:
        click.echo(f"{name}\t{found[name]} partitions")
