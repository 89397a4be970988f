"""Byte codecs for envelopes: msgpack (the default) and JSON (for other languages).

Both encode the same tree of plain data (see `values.py`), so a message means the same thing
whichever codec carried it; the `content-type` header says which one did.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

import msgpack

from kafkatask.exceptions import DecodeError, EncodeError


class Codec(Protocol):
    """Turns a tree of plain data (dict, list, str, int, float, bool, None) into bytes and back."""

    name: str
    content_type: str

    def dumps(self, tree: Any) -> bytes: ...

    def loads(self, data: bytes) -> Any: ...


class MsgpackCodec:
    name = "msgpack"
    content_type = "application/x-msgpack"

    def dumps(self, tree: Any) -> bytes:
        try:
            return msgpack.packb(tree, use_bin_type=True)
        except (OverflowError, TypeError, ValueError) as error:
            raise EncodeError(f"msgpack cannot encode the message: {error}") from None

    def loads(self, data: bytes) -> Any:
        try:
            return msgpack.unpackb(data, raw=False, strict_map_key=True)
        except Exception as error:  # msgpack raises a handful of unrelated types
            raise DecodeError(f"not valid msgpack: {error}") from error


class JsonCodec:
    name = "json"
    content_type = "application/json"

    def dumps(self, tree: Any) -> bytes:
        try:
            # allow_nan=False: NaN and Infinity are not JSON (values.py tags them; a LangChain
            # object's own fields are the only place they can still appear).
            return json.dumps(
                tree, separators=(",", ":"), ensure_ascii=False, allow_nan=False
            ).encode()
        except (TypeError, ValueError) as error:
            raise EncodeError(f"JSON cannot encode the message: {error}") from None

    def loads(self, data: bytes) -> Any:
        try:
            return json.loads(data)
        except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
            raise DecodeError(f"not valid JSON: {error}") from error


_CODECS: dict[str, Codec] = {codec.name: codec for codec in (MsgpackCodec(), JsonCodec())}
_BY_CONTENT_TYPE: dict[str, Codec] = {codec.content_type: codec for codec in _CODECS.values()}


def codec_named(name: str) -> Codec:
    return _CODECS[name]


def codec_for(content_type: str | None) -> Codec:
    """The codec for a message's `content-type` header; msgpack when the header is absent."""
    if content_type is None:
        return _CODECS["msgpack"]
    try:
        return _BY_CONTENT_TYPE[content_type]
    except KeyError:
        known = ", ".join(sorted(_BY_CONTENT_TYPE))
        raise DecodeError(
            f"unknown content-type {content_type!r}; expected one of {known}"
        ) from None
