"""The wire form of values: round trips through both codecs, and clear errors."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid

import pytest
from langchain_core.documents import Document
from langchain_core.messages import AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.prompt_values import ChatPromptValue
from langchain_core.prompts import ChatPromptTemplate
from pydantic import BaseModel

from kafkatask import DecodeError, EncodeError
from kafkatask.serialization import ValueCodec, codec_named


class Color(enum.Enum):
    RED = "red"


class Point(BaseModel):
    x: int
    y: int


VALUES = [
    None,
    True,
    3,
    2.5,
    "text",
    [1, [2, "three"]],
    {"a": {"b": None}},
    (1, (2, 3)),
    {1: "int key", (1, 2): "tuple key"},
    {"__kt__": "a user key that looks like a tag"},
    {"x", "y"},
    b"\x00\x01\xff",
    dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC),
    dt.date(2026, 11, 21),
    dt.time(12, 30),
    dt.timedelta(seconds=90),
    uuid.UUID("12345678-1234-5678-1234-567812345678"),
    decimal.Decimal("1.10"),
    HumanMessage("hello"),
    AIMessageChunk(content="par", id="run-1"),
    ToolMessage(content="42", tool_call_id="call-1"),
    Document(page_content="doc", metadata={"source": "a.txt"}),
    ChatPromptValue(messages=[HumanMessage("x")]),
]


@pytest.mark.parametrize("codec", ["msgpack", "json"])
@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_round_trip_keeps_value_and_type(codec, value):
    values = ValueCodec()
    wire = codec_named(codec)
    back = values.decode(wire.loads(wire.dumps(values.encode(value, "the value"))))
    assert back == value
    assert type(back) is type(value)


def test_chunks_still_add_up_after_the_trip():
    values = ValueCodec()
    chunks = [AIMessageChunk(content=part, id="run-1") for part in ("Hel", "lo")]
    back = [values.decode(values.encode(chunk, "chunk")) for chunk in chunks]
    assert (back[0] + back[1]).content == "Hello"


@pytest.mark.parametrize("codec", ["msgpack", "json"])
def test_langchain_objects_with_fields_langchain_cannot_write_keep_their_type(codec):
    values, wire = ValueCodec(), codec_named(codec)
    created = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    chunk = AIMessageChunk(content="Hel", response_metadata={"created": created})
    document = Document(page_content="x", metadata={"raw": b"\x00", "tags": {"a"}})
    for value in (chunk, document):
        back = values.decode(wire.loads(wire.dumps(values.encode(value, "the value"))))
        assert type(back) is type(value)
        assert back == value
    total = values.decode(values.encode(chunk, "c")) + AIMessageChunk(content="lo")
    assert total.content == "Hello"
    assert total.response_metadata["created"] == created
    with pytest.raises(DecodeError, match="not allowed"):
        ValueCodec(allowed_objects=[]).decode(values.encode(document, "d"))


def test_enum_and_pydantic_models_travel_as_their_plain_data():
    values = ValueCodec()
    assert values.decode(values.encode(Color.RED, "v")) == "red"
    assert values.decode(values.encode(Point(x=1, y=2), "v")) == {"x": 1, "y": 2}


def test_unencodable_value_names_where_and_type():
    with pytest.raises(EncodeError) as raised:
        ValueCodec().encode({"items": [1, object()]}, "argument 'data' of task t")
    message = str(raised.value)
    assert "argument 'data' of task t['items'][1]" in message
    assert "type object" in message
    assert "accept_pickle=True" in message


def test_langchain_class_outside_the_allowlist_is_not_built():
    values = ValueCodec()
    template = ChatPromptTemplate.from_messages([("human", "{question}")])
    with pytest.raises(DecodeError, match="allow its class with App\\(allowed_objects"):
        values.decode(values.encode(template, "template"))
    allowing = ValueCodec(allowed_objects=[ChatPromptTemplate])
    with pytest.raises(DecodeError):  # its nested PromptTemplate is not allowed either
        allowing.decode(allowing.encode(template, "template"))


def test_pickle_only_when_enabled_on_both_sides():
    sender = ValueCodec(accept_pickle=True)
    wire = sender.encode(_Local(), "v")
    with pytest.raises(DecodeError, match="does not accept pickle"):
        ValueCodec().decode(wire)
    assert isinstance(sender.decode(wire), _Local)


class _Local:
    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Local)

    __hash__ = object.__hash__


def test_unknown_tag_and_bad_tag_payload_are_decode_errors():
    values = ValueCodec()
    with pytest.raises(DecodeError, match="unknown value tag 'future'"):
        values.decode({"__kt__": "future", "v": 1})
    with pytest.raises(DecodeError, match="bad uuid value"):
        values.decode({"__kt__": "uuid", "v": "not-a-uuid"})
