"""`kafkatask dlq list|show|replay|purge`: the dead letters of a namespace."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Iterator

import click

from kafkatask.app import App
from kafkatask.cli.loading import load_app
from kafkatask.dlq import DeadLetterEntry, DeadLetterQueue, DlqFilter
from kafkatask.exceptions import KafkaTaskError

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(s|m|h|d)$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration(
    ctx: click.Context | None, param: click.Parameter | None, text: str | None
) -> float | None:
    if text is None:
        return None
    match = _DURATION.match(text.strip())
    if match is None:
        raise click.BadParameter(f"{text!r} is not a duration like 30s, 10m, 2h or 1d")
    return float(match.group(1)) * _SECONDS[match.group(2)]


def _filters(command: click.decorators.FC) -> click.decorators.FC:
    for option in reversed(
        [
            click.option(
                "-A",
                "--app",
                "app_spec",
                default=None,
                help="package.module[:app]; else KAFKATASK_* settings.",
            ),
            click.option("--task", default=None, help="Only letters of this task name."),
            click.option(
                "--error-type", default=None, help="Only this error type (e.g. KeyError)."
            ),
            click.option("--older-than", callback=_duration, default=None, help="e.g. 1h"),
            click.option("--newer-than", callback=_duration, default=None, help="e.g. 10m"),
        ]
    ):
        command = option(command)
    return command


def _queue(app_spec: str | None) -> DeadLetterQueue:
    return DeadLetterQueue(load_app(app_spec) if app_spec else App())


def _chosen(
    queue: DeadLetterQueue,
    offsets: tuple[int, ...],
    status: str | None,
    **filters: object,
) -> list[DeadLetterEntry]:
    where = DlqFilter(status=status, **filters)  # type: ignore[arg-type]
    entries = queue.entries(where)
    if offsets:
        entries = [entry for entry in entries if entry.offset in set(offsets)]
    return entries


def _line(entry: DeadLetterEntry) -> str:
    letter = entry.letter
    when = dt.datetime.fromtimestamp(letter.dead_at, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    return (
        f"{entry.offset}\t{when}\t{entry.status}\t{letter.task or '-'}\t{letter.reason}\t"
        f"{letter.error.type}: {letter.error.message[:80]}"
    )


@click.group()
def dlq() -> None:
    """List, inspect, replay and purge dead letters."""


@dlq.command(name="list")
@_filters
@click.option("--all", "everything", is_flag=True, help="Include replayed and purged letters.")
def list_letters(app_spec: str | None, everything: bool, **filters: object) -> None:
    """One line per dead letter: offset, time, status, task, reason, error."""
    entries = _chosen(_queue(app_spec), (), None if everything else "dead", **filters)
    for entry in entries:
        click.echo(_line(entry))
    if not entries:
        click.echo("no dead letters")


@dlq.command()
@click.argument("offset", type=int)
@click.option("-A", "--app", "app_spec", default=None)
def show(offset: int, app_spec: str | None) -> None:
    """Everything about one dead letter, as JSON."""
    with _one_line_errors():
        entry = _queue(app_spec).get(offset)
    data = entry.letter.model_dump(mode="json")
    click.echo(json.dumps({"offset": entry.offset, "status": entry.status, **data}, indent=2))


@dlq.command()
@_filters
@click.argument("offsets", type=int, nargs=-1)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def replay(app_spec: str | None, offsets: tuple[int, ...], yes: bool, **filters: object) -> None:
    """Send the original tasks again, with a fresh attempt count."""
    queue = _queue(app_spec)
    entries = _confirmed(queue, offsets, yes, "replay", "?", **filters)
    if entries:
        with _one_line_errors():
            ids = queue.replay(entries, by="kafkatask dlq")
        click.echo(f"replayed {len(ids)}: {', '.join(ids)}")


@dlq.command()
@_filters
@click.argument("offsets", type=int, nargs=-1)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def purge(app_spec: str | None, offsets: tuple[int, ...], yes: bool, **filters: object) -> None:
    """Drop dead letters for good."""
    queue = _queue(app_spec)
    entries = _confirmed(queue, offsets, yes, "purge", "? This cannot be undone", **filters)
    if entries:
        with _one_line_errors():
            purged = queue.purge(entries, by="kafkatask dlq")
        click.echo(f"purged {purged}")


def _confirmed(
    queue: DeadLetterQueue,
    offsets: tuple[int, ...],
    yes: bool,
    verb: str,
    question_end: str,
    **filters: object,
) -> list[DeadLetterEntry]:
    """The unresolved letters chosen, once the user agreed to `verb` them (or said --yes)."""
    entries = _chosen(queue, offsets, "dead", **filters)
    if not entries:
        click.echo(f"nothing to {verb}")
    elif not yes:
        click.confirm(f"{verb} {len(entries)} dead letter(s){question_end}", abort=True)
    return entries


@contextlib.contextmanager
def _one_line_errors() -> Iterator[None]:
    """Kafka and dead-letter errors as Click's one-line error, not a traceback."""
    try:
        yield
    except KafkaTaskError as error:
        raise click.ClickException(str(error)) from None
