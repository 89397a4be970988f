"""Worker middleware: hooks around running a task, and the task options each one owns."""

from kafkatask.middleware.base import Middleware, Outcome, WorkerServices
from kafkatask.middleware.circuit_breaker import CircuitBreaker
from kafkatask.middleware.rate_limits import RateLimits
from kafkatask.middleware.retries import Retries
from kafkatask.middleware.time_limits import TimeLimits

DEFAULT_MIDDLEWARE: tuple[type[Middleware], ...] = (CircuitBreaker, RateLimits, TimeLimits, Retries)
"""Run in this order before a task, in reverse after it: Retries sees a failure first."""

__all__ = [
    "DEFAULT_MIDDLEWARE",
    "CircuitBreaker",
    "Middleware",
    "Outcome",
    "RateLimits",
    "Retries",
    "TimeLimits",
    "WorkerServices",
]
