"""The `kafkatask` command."""

from kafkatask.cli.main import main

__all__ = ["main"]
