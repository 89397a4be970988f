"""The Flower-style dashboard: `kafkatask dashboard -A app` (see docs/dashboard.md).

It reads the events topic into a bounded window of recent tasks and workers, asks Kafka's admin
API for consumer lag, and serves server-rendered pages, a JSON API and Prometheus metrics with
Starlette.
"""

from kafkatask.dashboard.application import create_app
from kafkatask.dashboard.auth import Credentials, is_loopback
from kafkatask.dashboard.services import Dashboard

__all__ = ["Credentials", "Dashboard", "create_app", "is_loopback"]
