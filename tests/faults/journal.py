"""Reading the journal the fault app's tasks write (tests/apps/fault_app.py `_journal`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Entry:
    at: float
    pid: int
    event: str
    """"start" or "end"."""
    what: str
    """"conversation:n" for ordered steps, "plain:index" for plain tasks."""


def read_journal(path: Path) -> list[Entry]:
    if not path.exists():
        return []
    entries = []
    for line in path.read_text().splitlines():
        at, pid, event, what = line.split(" ", 3)
        entries.append(Entry(float(at), int(pid), event, what))
    return entries


def starts(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if e.event == "start"]


def order_violations(entries: list[Entry]) -> list[str]:
    """Per conversation, the starts that break "one at a time, in order".

    At-least-once delivery allows one thing besides progress (turn n+1 after turn n): a replay
    from the last committed offset, which goes back to some earlier turn and then runs every
    turn from there on, contiguously, until it is past the highest turn that ever started.
    A jump forward, or a replay that stops short (a stale job run once by a worker that no
    longer owned the partition), is a violation.
    """
    by_conversation: dict[str, list[int]] = defaultdict(list)
    for entry in starts(entries):
        conversation, _, n = entry.what.rpartition(":")
        if conversation != "plain":
            by_conversation[conversation].append(int(n))
    problems = []
    for conversation, turns in sorted(by_conversation.items()):
        expected, highest = 0, -1
        for position, n in enumerate(turns):
            if n > expected:
                problems.append(
                    f"{conversation}: turn {n} started when turn {expected} was due "
                    f"(start #{position}, turns {turns[max(0, position - 3) : position + 3]})"
                )
            highest = max(highest, n)
            expected = n + 1
        if expected <= highest:
            problems.append(
                f"{conversation}: a replay stopped at turn {expected - 1}, short of turn "
                f"{highest} (turns {turns[-6:]})"
            )
    return problems


def stale_starts(entries: list[Entry], pid: int, after: float, older_than: float) -> list[str]:
    """Starts by process `pid` after time `after` of work another process had finished at
    least `older_than` seconds before `after` (long committed: no replay brings it back)."""
    finished: dict[str, float] = {}
    for entry in entries:
        if entry.event == "end" and entry.pid != pid:
            finished.setdefault(entry.what, entry.at)
    return [
        f"{entry.what} at +{entry.at - after:.3f}s (finished elsewhere "
        f"{after - finished[entry.what]:.1f}s before the thaw)"
        for entry in starts(entries)
        if entry.pid == pid
        and entry.at > after
        and entry.what in finished
        and finished[entry.what] < after - older_than
    ]
