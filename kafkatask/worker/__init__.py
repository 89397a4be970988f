"""The worker: consumer loop, execution pool, offsets, ordering, events."""

from kafkatask.worker.worker import Worker

__all__ = ["Worker"]
