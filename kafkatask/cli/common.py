"""What the `kafkatask` sub-commands share: log levels and logging, how web servers stop."""

from __future__ import annotations

import logging

LEVELS = ["debug", "info", "warning", "error", "critical"]

SERVER_SHUTDOWN_GRACE = 5
"""Seconds the dashboard and the gateway let open requests finish when stopped: an open page
polls every few seconds and a stream can last minutes, and without a bound either keeps a
stopping server up (a streaming client resumes through any gateway from its event id)."""


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="[%(asctime)s: %(levelname)s/%(processName)s] %(message)s",
    )
