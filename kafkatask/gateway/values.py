"""The JSON form of what tasks return, as LangServe clients read it.

LangServe's clients rebuild LangChain objects from their fields and their `type` (messages,
documents, prompt values, agent actions), so those travel as their fields; everything else a
task can return (section 8 of docs/protocol.md) becomes the nearest JSON: tuples and sets as
arrays, dates and times in ISO 8601, UUIDs and decimals as strings, bytes in base64.

Inputs need no such step: they are validated against the task's input schema, which rebuilds
the LangChain objects it names from the same form (see schemas.py).
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import enum
import json
import math
import uuid
from collections.abc import Callable
from typing import Any

from langchain_core.load.serializable import Serializable
from pydantic import BaseModel

_SCALARS = (str, int, bool, type(None))


def to_json(value: Any) -> Any:
    """`value` as plain JSON data (a new tree; `value` is not changed)."""
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(item) for item in value]
    if isinstance(value, Serializable):
        # The fields LangServe's clients rebuild the object from, `type` among them.
        return to_json(value.model_dump())
    return _other(value)


_CONVERSIONS: list[tuple[type | tuple[type, ...], Callable[[Any], Any]]] = [
    (BaseModel, lambda model: model.model_dump(mode="json")),
    ((dt.datetime, dt.date, dt.time), lambda moment: moment.isoformat()),
    (dt.timedelta, lambda span: span.total_seconds()),
    ((uuid.UUID, decimal.Decimal), str),
    ((bytes, bytearray, memoryview), lambda data: base64.b64encode(bytes(data)).decode()),
    (enum.Enum, lambda member: to_json(member.value)),
]
"""The values of docs/protocol.md section 8 that JSON has no type for, and what they become."""


def _other(value: Any) -> Any:
    for kinds, convert in _CONVERSIONS:
        if isinstance(value, kinds):
            return convert(value)
    return repr(value)  # nothing else comes off the wire; a display is better than a failure


def dumps(value: Any) -> str:
    """Compact JSON text of `value`'s JSON form (one line: an SSE `data:` field needs that)."""
    return json.dumps(to_json(value), ensure_ascii=False, separators=(",", ":"))
