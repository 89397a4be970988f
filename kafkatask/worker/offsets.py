"""OffsetTracker: which offsets may be committed, per partition.

Tasks finish out of order under concurrency, but a committed offset says "everything before
this is done". So each partition keeps the offsets it handed out, in order, and the commit
position is the first one not finished yet (or one past the last, when all are). A crash then
re-delivers exactly the unfinished ones and everything after them.

It also counts what a crash would run again: the records read past the last commit the broker
confirmed (`unconfirmed`), which the worker keeps under `max_uncommitted`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

TopicPartitionKey = tuple[str, int]


@dataclass(slots=True)
class Receipt:
    """One consumed record's obligation: done once every message it owes is acknowledged."""

    tp: TopicPartitionKey
    offset: int
    epoch: int
    outstanding: int = 0


@dataclass(slots=True)
class _PartitionOffsets:
    epoch: int
    owed: int = 0
    pending: deque[int] = field(default_factory=deque)
    done: set[int] = field(default_factory=set)
    next_offset: int | None = None
    committed: int | None = None
    """The position last sent in a commit."""
    confirmed: int | None = None
    """The position the broker last confirmed as committed."""
    first: int | None = None
    """The first offset read under this assignment (where the group's commit stood)."""

    def position(self) -> int | None:
        return self.pending[0] if self.pending else self.next_offset

    def unconfirmed(self) -> int:
        if self.next_offset is None or self.first is None:
            return 0
        base = self.first if self.confirmed is None else max(self.confirmed, self.first)
        return self.next_offset - base

    def unsent(self) -> int:
        """Finished records no commit has been sent for yet."""
        position = self.position()
        if position is None or self.first is None:
            return 0
        return position - (self.first if self.committed is None else self.committed)


class OffsetTracker:
    """Per-partition contiguous completion; used from the worker's consumer thread only."""

    def __init__(self) -> None:
        self._partitions: dict[TopicPartitionKey, _PartitionOffsets] = {}
        self._epochs = 0

    def assign(self, tp: TopicPartitionKey) -> None:
        # A fresh epoch: completions of records read under an earlier assignment of the same
        # partition must not move the new assignment's position.
        self._epochs += 1
        self._partitions[tp] = _PartitionOffsets(epoch=self._epochs)

    def forget(self, tp: TopicPartitionKey) -> None:
        self._partitions.pop(tp, None)

    def track(self, tp: TopicPartitionKey, offset: int) -> Receipt | None:
        """A receipt for a consumed record; None when its partition is not ours (any more).

        A record fetched just before its partition was revoked can still be handed over in the
        same batch; its next owner reads it again, so this worker must neither run nor commit it.
        """
        partition = self._partitions.get(tp)
        if partition is None:
            return None
        partition.pending.append(offset)
        partition.next_offset = offset + 1
        partition.owed += 1
        if partition.first is None:
            partition.first = offset
        return Receipt(tp, offset, partition.epoch)

    def untrack(self, receipt: Receipt) -> None:
        """Take back the latest `track` of a partition: its record will be read again."""
        partition = self._current(receipt)
        if partition is None or not partition.pending or partition.pending[-1] != receipt.offset:
            return
        partition.pending.pop()
        partition.owed -= 1
        partition.next_offset = receipt.offset

    def complete(self, receipt: Receipt) -> None:
        """Everything `receipt` owed is acknowledged; the position may move past it."""
        partition = self._current(receipt)
        if partition is None:
            return
        partition.owed -= 1
        partition.done.add(receipt.offset)
        pending, done = partition.pending, partition.done
        while pending and pending[0] in done:
            done.discard(pending.popleft())

    def abandon(self, receipt: Receipt) -> None:
        """`receipt` will not be finished here (its partition is going away): stop owing it.

        Its offset stays pending, so the position never moves past it and the next owner of
        the partition gets it again.
        """
        partition = self._current(receipt)
        if partition is not None:
            partition.owed -= 1

    def owed(self, tp: TopicPartitionKey) -> int:
        """Receipts of `tp` still being worked on or waiting for the broker's acknowledgement."""
        partition = self._partitions.get(tp)
        return partition.owed if partition else 0

    def _current(self, receipt: Receipt) -> _PartitionOffsets | None:
        partition = self._partitions.get(receipt.tp)
        if partition is None or partition.epoch != receipt.epoch:
            return None
        return partition

    def position(self, tp: TopicPartitionKey) -> int | None:
        partition = self._partitions.get(tp)
        return partition.position() if partition else None

    def uncommitted(
        self, tps: list[TopicPartitionKey] | None = None
    ) -> dict[TopicPartitionKey, int]:
        """Positions that moved since they were last committed."""
        moved = {}
        for tp in tps if tps is not None else list(self._partitions):
            partition = self._partitions.get(tp)
            if partition is None:
                continue
            position = partition.position()
            if position is not None and position != partition.committed:
                moved[tp] = position
        return moved

    def committed(self, positions: dict[TopicPartitionKey, int]) -> None:
        for tp, position in positions.items():
            partition = self._partitions.get(tp)
            if partition is not None:
                partition.committed = position

    def confirmed(self, positions: dict[TopicPartitionKey, int]) -> None:
        """The broker confirmed these commits."""
        for tp, position in positions.items():
            partition = self._partitions.get(tp)
            if partition is not None and (
                partition.confirmed is None or position > partition.confirmed
            ):
                partition.confirmed = position

    def unconfirmed(self, tp: TopicPartitionKey) -> int:
        """Records of `tp` read past the last confirmed commit: what a crash would run again."""
        partition = self._partitions.get(tp)
        return partition.unconfirmed() if partition else 0

    def most_unsent(self) -> int:
        """The most finished records of any partition that no commit was sent for yet."""
        return max((p.unsent() for p in self._partitions.values()), default=0)

    def commit_failed(self, positions: dict[TopicPartitionKey, int]) -> None:
        """An asynchronous commit of `positions` failed: commit them again next time."""
        for tp, position in positions.items():
            partition = self._partitions.get(tp)
            if partition is not None and partition.committed == position:
                partition.committed = None

    def partitions(self) -> list[TopicPartitionKey]:
        return list(self._partitions)
