"""Describe an exception for the wire, and rebuild it on the caller's side."""

from __future__ import annotations

import sys
import traceback as tb

from kafkatask.exceptions import RemoteTaskError
from kafkatask.protocol import ErrorInfo


def describe(error: BaseException) -> ErrorInfo:
    """The wire description of `error`, with its formatted traceback."""
    return ErrorInfo.from_exception(error, "".join(tb.format_exception(error)))


def rebuild(info: ErrorInfo) -> BaseException:
    """An exception of the remote type when this process knows it, else a RemoteTaskError.

    Only classes of modules this process has already imported are used: a message never makes
    the caller import anything.
    """
    error: BaseException | None = None
    kind = _known_exception_type(info.module, info.type)
    if kind is not None:
        try:
            error = kind(info.message)
        except Exception:  # a custom __init__ with other parameters
            error = None
    if error is None:
        qualified = info.type if info.module == "builtins" else f"{info.module}.{info.type}"
        error = RemoteTaskError(
            info.message, remote_type=qualified, remote_traceback=info.traceback
        )
    error.remote_traceback = info.traceback  # type: ignore[attr-defined]
    if info.traceback:
        error.add_note(
            f"Remote traceback (most recent call last, on the worker):\n{info.traceback}"
        )
    return error


def _known_exception_type(module: str, qualname: str) -> type[BaseException] | None:
    found: object = sys.modules.get(module)
    for part in qualname.split("."):
        found = getattr(found, part, None)
    if isinstance(found, type) and issubclass(found, Exception):
        return found
    return None
