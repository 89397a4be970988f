"""Envelopes validate strictly and say what is wrong."""

from __future__ import annotations

import pytest

from kafkatask import DecodeError
from kafkatask.protocol import (
    Header,
    MessageKind,
    ReplyAddress,
    ResultMessage,
    TaskMessage,
    decode,
    encode,
    header_value,
    headers_for,
)
from kafkatask.serialization import codec_named
from kafkatask.states import TaskState


@pytest.mark.parametrize("codec", ["msgpack", "json"])
def test_task_message_round_trip(codec):
    wire = codec_named(codec)
    message = TaskMessage(id="1", task="t", args=[1], reply_to=ReplyAddress(topic="r", partition=3))
    headers = headers_for(MessageKind.TASK, wire, message.task, message.id)
    assert decode(TaskMessage, encode(message, wire), headers) == message
    assert header_value(headers, Header.KIND) == "task"
    assert header_value(headers, Header.CONTENT_TYPE) == wire.content_type


def test_validation_error_names_the_fields():
    wire = codec_named("json")
    data = wire.dumps({"id": "1", "task": "t", "args": "not a list", "surprise": 1})
    with pytest.raises(DecodeError) as raised:
        decode(TaskMessage, data, [("content-type", b"application/json")])
    assert "args: Input should be a valid list" in str(raised.value)
    assert "surprise: Extra inputs are not permitted" in str(raised.value)


def test_newer_protocol_version_is_refused_with_advice():
    wire = codec_named("msgpack")
    data = wire.dumps({"v": 99, "id": "1", "task": "t"})
    with pytest.raises(DecodeError, match=r"protocol version 99 is newer.*upgrade kafkatask"):
        decode(TaskMessage, data, None)


def test_unknown_content_type_is_refused():
    with pytest.raises(DecodeError, match="unknown content-type 'text/xml'"):
        decode(TaskMessage, b"<x/>", [("content-type", b"text/xml")])


def test_failure_result_needs_an_error():
    with pytest.raises(ValueError, match="FAILURE result needs an error"):
        ResultMessage(id="1", task="t", state=TaskState.FAILURE)


def test_replace_validates_the_copy():
    message = TaskMessage(id="1", task="t")
    assert message.replace(retries=2).retries == 2
    with pytest.raises(ValueError, match="retries"):
        message.replace(retries=-1)
