"""What a bound task (`@app.task(bind=True)`) gets as its first argument: `self`.

`self.request` describes this run (id, retries, delivery info, headers); `self.retry(...)`
asks for another run later. The object is made for one run and passed explicitly, so nothing
about the current task lives in globals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

from pydantic import BaseModel, ConfigDict

from kafkatask.exceptions import Retry

if TYPE_CHECKING:
    from kafkatask.app import App
    from kafkatask.task import Task


_LONGEST_COUNTDOWN = 366 * 86_400.0
"""A retry further away than this is taken for a mistake."""


class DeliveryInfo(BaseModel):
    """Where the task's record was read from."""

    model_config = ConfigDict(frozen=True)

    topic: str
    partition: int
    offset: int
    key: str | None = None


class Request(BaseModel):
    """This run of the task, as Celery users know `self.request`."""

    model_config = ConfigDict(frozen=True)

    id: str
    task: str
    args: list[Any]
    kwargs: dict[str, Any]
    retries: int
    queue: str
    headers: dict[str, str]
    eta: float | None
    expires: float | None
    hostname: str
    """The id of the worker running it."""
    delivery_info: DeliveryInfo
    origin: str | None


class BoundTask:
    """`self` in a bound task: the task's name and app, this run's request, and `retry()`."""

    def __init__(self, task: Task[Any, Any], request: Request) -> None:
        self.task = task
        self.request = request

    @property
    def name(self) -> str:
        return self.task.name

    @property
    def app(self) -> App:
        return self.task.app

    def retry(
        self,
        exc: BaseException | None = None,
        countdown: float | None = None,
        max_retries: int | None = None,
    ) -> NoReturn:
        """Run this task again later (after `countdown` s, or the task's backoff).

        Raises the Retry exception that ends this run; after the last retry the task fails
        with `exc` (or MaxRetriesExceededError) instead.
        """
        if countdown is not None and not 0 <= countdown <= _LONGEST_COUNTDOWN:
            raise ValueError(
                f"retry(countdown={countdown!r}): give a number of seconds from 0 to "
                f"{_LONGEST_COUNTDOWN:,.0f} (a year)"
            )
        raise Retry(exc=exc, countdown=countdown, max_retries=max_retries)
