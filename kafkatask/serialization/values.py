"""The wire form of task arguments and results: plain data that msgpack and JSON both carry.

Plain JSON types travel as themselves. Other Python values become a tagged map
`{"__kt__": <tag>, "v": <plain data>}` (see docs/protocol.md); LangChain objects (messages,
documents, chunks, prompt values) travel in langchain-core's own serializable form
(`{"lc": 1, "type": "constructor", ...}`) and come back as themselves. cloudpickle carries
anything else, but only when the application opts in.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import enum
import math
import uuid
import warnings
from collections.abc import Callable, Iterable
from typing import Any

from langchain_core._api import LangChainBetaWarning
from langchain_core.load import dumpd, load
from langchain_core.load.serializable import Serializable
from langchain_core.runnables.utils import AddableDict
from pydantic import BaseModel

from kafkatask.exceptions import DecodeError, EncodeError
from kafkatask.serialization.langchain_types import DATA_CLASSES

TAG = "__kt__"
_SCALARS = (str, int, float, bool, type(None))
_PLAIN_HINT = (
    "pass plain data (str, int, float, bool, None, list, dict), datetime/UUID/Decimal/bytes, "
    "a LangChain serializable object or a pydantic model"
)


class ValueCodec:
    """Converts Python values to the wire tree and back.

    `allowed_objects` are the LangChain classes a message may construct on the way in (data
    classes only by default, see langchain_types.py), so a message never builds anything else.
    """

    def __init__(
        self,
        *,
        accept_pickle: bool = False,
        allowed_objects: Iterable[type[Serializable]] = DATA_CLASSES,
    ) -> None:
        self.accept_pickle = accept_pickle
        self.allowed_objects = list(allowed_objects)

    # -- encode -------------------------------------------------------------------------

    def encode(self, value: Any, where: str) -> Any:
        """The wire tree of `value`; `where` names it in the error ("argument 'x' of task t")."""
        try:
            return self._encode(value, where, "")
        except EncodeError:
            raise
        except Exception as error:  # a value whose own conversion breaks (a 10,000-digit int)
            raise EncodeError(f"cannot encode {where}: {type(error).__name__}: {error}") from None

    def _encode(self, value: Any, where: str, path: str) -> Any:
        if isinstance(value, _SCALARS) and not isinstance(value, enum.Enum):
            return _scalar(value)
        if isinstance(value, list):
            return [self._encode(item, where, f"{path}[{i}]") for i, item in enumerate(value)]
        if isinstance(value, dict):
            return self._encode_dict(value, where, path)
        return self._encode_other(value, where, path)

    def _encode_dict(self, value: dict[Any, Any], where: str, path: str) -> Any:
        if isinstance(value, AddableDict):
            # LCEL's streaming dict: chunks of RunnableParallel/assign that add up with `+`.
            return {TAG: "addable", "v": self._encode_dict(dict(value), where, path)}
        # A plain dict that looks like a tag or a LangChain object travels as pairs, so it
        # comes back as the dict it was.
        plain = TAG not in value and "lc" not in value
        if plain and all(isinstance(key, str) for key in value):
            return {
                key: self._encode(item, where, f"{path}[{key!r}]") for key, item in value.items()
            }
        pairs = [
            [
                self._encode(key, where, f"{path}<key>"),
                self._encode(item, where, f"{path}[{key!r}]"),
            ]
            for key, item in value.items()
        ]
        return {TAG: "dict", "v": pairs}

    def _encode_other(self, value: Any, where: str, path: str) -> Any:
        if isinstance(value, tuple | set | frozenset):
            tag = "tuple" if isinstance(value, tuple) else "set"
            items = [self._encode(item, where, f"{path}[{i}]") for i, item in enumerate(value)]
            return {TAG: tag, "v": items}
        if isinstance(value, enum.Enum):
            return self._encode(value.value, where, path)
        if isinstance(value, Serializable) and value.is_lc_serializable():
            tree = self._encode_langchain(value, where, path)
            if tree is not None:
                return tree
        for kind, encoder in _ENCODERS:
            if isinstance(value, kind):
                return {TAG: encoder[0], "v": encoder[1](value)}
        if isinstance(value, BaseModel):
            return self._encode(value.model_dump(mode="json"), where, path)
        if self.accept_pickle:
            import cloudpickle

            return {TAG: "pickle", "v": base64.b64encode(cloudpickle.dumps(value)).decode()}
        location = f"{where}{path}" if path else where
        raise EncodeError(
            f"cannot encode {location}: an object of type {_type_name(value)} has no wire form; "
            f"{_PLAIN_HINT}, or enable cloudpickle (accept_pickle=True with a signing_secret)"
        )

    def _encode_langchain(self, value: Serializable, where: str, path: str) -> Any:
        tree = dumpd(value)
        if not _has_unserializable(tree):
            return tree
        # A field langchain-core cannot write (a datetime in a message's metadata): the object
        # travels tagged, its fields in this codec's own forms, so it still comes back as itself.
        fields: dict[str, Any] = dict(value.to_json())
        if fields.get("type") != "constructor":
            return None
        kwargs = self._encode(fields["kwargs"], where, f"{path}<{type(value).__name__}>")
        return {TAG: "lc", "v": {"id": list(fields["id"]), "kwargs": kwargs}}

    # -- decode -------------------------------------------------------------------------

    def decode(self, tree: Any) -> Any:
        """The Python value of a wire tree; raises DecodeError on a tree it cannot revive."""
        try:
            return self._decode(tree)
        except DecodeError:
            raise
        except Exception as error:  # a malformed tree can break any reviver in its own way
            raise DecodeError(f"malformed value: {type(error).__name__}: {error}") from error

    def _decode(self, tree: Any) -> Any:
        if isinstance(tree, _SCALARS):
            return tree
        if isinstance(tree, list):
            return [self._decode(item) for item in tree]
        if isinstance(tree, dict):
            if TAG in tree:
                return self._decode_tagged(tree)
            if tree.get("lc") == 1 and tree.get("type") == "constructor":
                return self._decode_langchain(tree)
            return {key: self._decode(item) for key, item in tree.items()}
        raise DecodeError(f"unexpected {type(tree).__name__} in a message")

    def _decode_tagged(self, tree: dict[str, Any]) -> Any:
        tag, payload = str(tree.get(TAG)), tree.get("v")
        containers: dict[str, Callable[[Any], Any]] = {
            "tuple": lambda items: tuple(self._decode(item) for item in items),
            "set": lambda items: {self._decode(item) for item in items},
            "dict": lambda pairs: {self._decode(k): self._decode(v) for k, v in pairs},
            "addable": lambda mapping: AddableDict(self._decode(mapping)),
            "lc": self._decode_tagged_langchain,
            "pickle": self._unpickle,
        }
        decoder = containers.get(tag) or _DECODERS.get(tag)
        if decoder is None:
            raise DecodeError(f"unknown value tag {tag!r}; the sender is newer than this reader")
        try:
            return decoder(payload)
        except DecodeError:
            raise
        except Exception as error:  # a payload of the wrong shape breaks its reviver
            raise DecodeError(f"bad {tag} value {payload!r}: {error}") from error

    def _decode_langchain(self, tree: dict[str, Any]) -> Any:
        try:
            return _load_quietly(tree, self.allowed_objects)
        except Exception as error:  # load raises ValueError, TypeError, ImportError, ...
            name = ".".join(map(str, tree.get("id", [])))
            raise DecodeError(
                f"cannot rebuild LangChain object {name}: {error}; allow its class with "
                "App(allowed_objects=[...])"
            ) from error

    def _decode_tagged_langchain(self, payload: dict[str, Any]) -> Any:
        name = tuple(payload["id"])
        for kind in self.allowed_objects:
            if tuple(kind.lc_id()) == name:
                return kind(**self._decode(payload["kwargs"]))
        raise DecodeError(
            f"cannot rebuild LangChain object {'.'.join(map(str, name))}: its class is not "
            "allowed; allow it with App(allowed_objects=[...])"
        )

    def _unpickle(self, payload: Any) -> Any:
        if not self.accept_pickle:
            raise DecodeError(
                "the message carries a cloudpickled value but this side does not accept pickle "
                "(accept_pickle=False); enable it on both sides, with a signing_secret"
            )
        import cloudpickle

        return cloudpickle.loads(base64.b64decode(payload))


_load_warned = False


def _load_quietly(tree: dict[str, Any], allowed: Any) -> Any:
    """langchain-core's `load`, without the one-off beta warning it emits on its first call."""
    global _load_warned  # noqa: PLW0603 - the warning itself is once-per-process state
    if _load_warned:
        return load(tree, allowed_objects=allowed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LangChainBetaWarning)
        value = load(tree, allowed_objects=allowed)
    _load_warned = True
    return value


_INT64_MIN, _UINT64_MAX = -(2**63), 2**64 - 1


def _scalar(value: Any) -> Any:
    """Plain scalars as themselves; what msgpack or strict JSON cannot hold, tagged."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        if _INT64_MIN <= value <= _UINT64_MAX:
            return value
        return {TAG: "int", "v": str(value)}
    if math.isfinite(value):
        return value
    return {TAG: "float", "v": str(value)}


def _has_unserializable(tree: Any) -> bool:
    if isinstance(tree, dict):
        if tree.get("lc") == 1 and tree.get("type") == "not_implemented":
            return True
        return any(_has_unserializable(item) for item in tree.values())
    if isinstance(tree, list):
        return any(_has_unserializable(item) for item in tree)
    return False


def _type_name(value: Any) -> str:
    kind = type(value)
    return (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )


def _bad_float(value: Any) -> float:
    raise ValueError(f"{value!r} is not nan, inf or -inf")


def _decode_decimal(text: Any) -> decimal.Decimal:
    return decimal.Decimal(str(text))


# Order matters: datetime is a subclass of date.
# Each entry: the Python types, then the tag and how to turn a value into plain data.
_ENCODERS: list[tuple[type | tuple[type, ...], tuple[str, Callable[[Any], Any]]]] = [
    ((bytes, bytearray, memoryview), ("bytes", lambda v: base64.b64encode(bytes(v)).decode())),
    (dt.datetime, ("datetime", lambda v: v.isoformat())),
    (dt.date, ("date", lambda v: v.isoformat())),
    (dt.time, ("time", lambda v: v.isoformat())),
    (dt.timedelta, ("timedelta", lambda v: v.total_seconds())),
    (uuid.UUID, ("uuid", str)),
    (decimal.Decimal, ("decimal", str)),
]

_DECODERS: dict[str, Callable[[Any], Any]] = {
    "int": lambda v: int(str(v)),
    "float": lambda v: float(v) if v in ("nan", "inf", "-inf") else _bad_float(v),
    "bytes": lambda v: base64.b64decode(v, validate=True),
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat,
    "timedelta": lambda v: dt.timedelta(seconds=float(v)),
    "uuid": uuid.UUID,
    "decimal": _decode_decimal,
}
