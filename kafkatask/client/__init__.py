"""The caller's side: publishing requests and routing replies to waiting handles."""

from kafkatask.client.connection import ClientConnection
from kafkatask.client.slot import ResultSlot

__all__ = ["ClientConnection", "ResultSlot"]
