"""Outputs in the JSON form LangServe's clients read."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid

from langchain_core.documents import Document
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.runnables.utils import AddableDict
from langserve.serialization import WellKnownLCSerializer
from pydantic import BaseModel

from kafkatask.gateway.values import dumps, to_json


class Colour(enum.Enum):
    RED = "red"


class Point(BaseModel):
    x: int
    when: dt.date


def test_langchain_objects_become_what_langserve_rebuilds():
    serializer = WellKnownLCSerializer()
    for value in (AIMessage(content="hi"), AIMessageChunk(content="h"), Document(page_content="d")):
        assert serializer.loadd(to_json(value)) == value


def test_other_values_become_the_nearest_json():
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    value = {
        "tuple": (1, 2),
        "set": {3},
        "when": when,
        "day": when.date(),
        "span": dt.timedelta(seconds=90),
        "id": uuid.UUID(int=7),
        "price": decimal.Decimal("9.99"),
        "bytes": b"\x00\xff",
        "colour": Colour.RED,
        "point": Point(x=1, when=when.date()),
        "nan": float("nan"),
        7: "int key",
    }
    assert to_json(value) == {
        "tuple": [1, 2],
        "set": [3],
        "when": "2026-01-02T03:04:05+00:00",
        "day": "2026-01-02",
        "span": 90.0,
        "id": "00000000-0000-0000-0000-000000000007",
        "price": "9.99",
        "bytes": "AP8=",
        "colour": "red",
        "point": {"x": 1, "when": "2026-01-02"},
        "nan": None,
        "7": "int key",
    }
    assert to_json(AddableDict(a=1)) == {"a": 1}


def test_dumps_is_one_line_of_compact_utf8_json():
    assert dumps({"text": "é\nline"}) == '{"text":"é\\nline"}'
