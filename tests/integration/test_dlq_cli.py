"""`kafkatask dlq list|show|replay|purge` against dead letters in a real broker."""

from __future__ import annotations

import json

from kafkatask import App
from kafkatask.dlq import DeadLetterQueue, DlqFilter
from tests.helpers import run_kafkatask, wait_for


def _dlq(settings, *args: str, stdin: str | None = None):
    return run_kafkatask(settings, "dlq", *args, stdin=stdin)


def test_list_show_replay_and_purge(settings, start_worker):
    # Given two tasks whose retries ran out, and one unknown task, in the dead-letter topic
    app = App("dlq", settings=settings)
    healed = {"flaky": False}
    fixed: list[str] = []

    @app.task(name="dlq.flaky", autoretry_for=(KeyError,), max_retries=1, default_retry_delay=0.1)
    def flaky(key: str) -> str:
        if not healed["flaky"]:
            raise KeyError(key)
        fixed.append(key)
        return f"fixed {key}"

    @app.task(name="dlq.other", autoretry_for=(ValueError,), max_retries=0)
    def other() -> None:
        raise ValueError("always")

    stranger = App("stranger", settings=settings).task(lambda: None, name="dlq.unknown")
    start_worker(app)
    try:
        for result in (flaky.delay("a"), other.delay(), stranger.delay()):
            result.get(timeout=30, propagate=False)
        queue = DeadLetterQueue(app)
        wait_for(lambda: len(queue.entries()) == 3, 30, "three dead letters")

        # When they are listed, with and without filters
        listed = _dlq(settings, "list")
        assert listed.returncode == 0, listed.stderr
        lines = listed.stdout.strip().splitlines()
        assert len(lines) == 3
        assert any("dlq.flaky\tretries-exhausted\tKeyError" in line for line in lines)
        by_task = _dlq(settings, "list", "--task", "dlq.other").stdout.strip().splitlines()
        assert len(by_task) == 1
        by_error = _dlq(settings, "list", "--error-type", "UnknownTaskError").stdout
        assert "unknown-task" in by_error
        assert _dlq(settings, "list", "--older-than", "1h").stdout.strip() == "no dead letters"

        # and one is shown in full
        flaky_entry = queue.entries(DlqFilter(task="dlq.flaky"))[0]
        shown = json.loads(_dlq(settings, "show", str(flaky_entry.offset)).stdout)
        assert shown["task"] == "dlq.flaky"
        assert [a["retries"] for a in shown["attempts"]] == [0, 1]
        assert shown["error"]["traceback"].startswith("Traceback")

        # Then replaying the fixed one runs it again with a fresh attempt count
        healed["flaky"] = True
        replayed = _dlq(settings, "replay", "--task", "dlq.flaky", "--yes")
        assert replayed.returncode == 0, replayed.stderr
        wait_for(lambda: fixed == ["a"], 30, "the replayed task to run again")
        wait_for(lambda: not queue.entries(DlqFilter(task="dlq.flaky")), 30, "flaky resolved")
        assert [e.status for e in queue.entries(DlqFilter(task="dlq.flaky", status=None))] == [
            "replayed"
        ]

        # and purging the rest leaves nothing unresolved
        purged = _dlq(settings, "purge", "--yes")
        assert purged.stdout.strip() == "purged 2"
        assert queue.entries() == []
        assert _dlq(settings, "list").stdout.strip() == "no dead letters"
        assert "no dead letter at offset 999" in _dlq(settings, "show", "999").stderr
    finally:
        app.close()


def test_replay_and_purge_ask_for_confirmation(settings, start_worker):
    app = App("dlq", settings=settings)
    start_worker(app)
    stranger = App("stranger", settings=settings).task(lambda: None, name="dlq.unknown")
    try:
        stranger.delay().get(timeout=30, propagate=False)
        queue = DeadLetterQueue(app)
        wait_for(lambda: len(queue.entries()) == 1, 30, "the dead letter")
        for command in ("replay", "purge"):
            declined = _dlq(settings, command, stdin="n\n")
            assert declined.returncode == 1
            assert "1 dead letter(s)?" in declined.stdout
            assert "Aborted" in declined.stderr
        assert len(queue.entries()) == 1
    finally:
        app.close()


def test_an_empty_namespace_has_no_dead_letters(settings):
    assert _dlq(settings, "list").stdout.strip() == "no dead letters"
