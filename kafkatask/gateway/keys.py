"""API keys: who may call the gateway, which tasks, with which rights, how often.

A key has a name (its identity: it travels in the headers of the tasks it sends and shows up
in events and on the dashboard; the key itself never does), the secret a client presents
(`Authorization: Bearer <key>`), or only that secret's SHA-256 so the configuration holds no
secret at all, the tasks it may call (names or shell-style patterns, `*` for all), the rights
it has on them, and an optional request rate.

Keys come from the settings (`KAFKATASK_GATEWAY_KEYS`, JSON) and from a keys file (TOML or
JSON, `KAFKATASK_GATEWAY_KEYS_FILE`); see docs/gateway.md for both formats.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import tomllib
from collections.abc import Iterable, Iterator
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from kafkatask.exceptions import ConfigurationError

Right = Literal["invoke", "batch", "stream"]
"""What a key may do with a task: invoke it, batch it, or stream it (SSE, WebSocket, events)."""
RIGHTS: tuple[Right, ...] = ("invoke", "batch", "stream")
SHORTEST_KEY = 16
"""Characters a key must have at least: a short secret is a guessable one."""


class ApiKey(BaseModel):
    """One API key; give `key` (the secret) or `sha256` (its hex digest), not both."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    name: str = Field(pattern=r"^[A-Za-z0-9._@:-]{1,128}$")
    """Who the key is; travels with every task it sends (task header `kt-caller`)."""
    key: SecretStr | None = None
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    tasks: tuple[str, ...] = ("*",)
    """Task names, or shell-style patterns (`billing.*`); `*` is every served task."""
    allow: tuple[Right, ...] = RIGHTS
    rate: float | None = Field(default=None, gt=0)
    """Requests per second this key may make (per gateway process); unlimited when unset."""
    burst: int | None = Field(default=None, ge=1)
    """Requests it may make at once after a quiet spell [the rate, rounded up]."""

    @model_validator(mode="after")
    def _one_secret(self) -> Self:
        if (self.key is None) == (self.sha256 is None):
            raise ValueError(f"key {self.name!r}: give either 'key' or 'sha256'")
        if self.key is not None and len(self.key.get_secret_value()) < SHORTEST_KEY:
            raise ValueError(f"key {self.name!r}: a key needs at least {SHORTEST_KEY} characters")
        if self.burst is not None and self.rate is None:
            raise ValueError(f"key {self.name!r}: 'burst' needs a 'rate'")
        return self

    @property
    def digest(self) -> bytes:
        """The SHA-256 of the secret: what a presented secret is compared with."""
        if self.key is not None:
            return _sha256(self.key.get_secret_value())
        assert self.sha256 is not None
        return bytes.fromhex(self.sha256)

    def may_call(self, task: str) -> bool:
        return any(fnmatchcase(task, pattern) for pattern in self.tasks)

    def may(self, right: Right) -> bool:
        return right in self.allow


class KeyRing:
    """The configured keys; finds the key a client presented, in constant time."""

    def __init__(self, keys: Iterable[ApiKey] = ()) -> None:
        self._keys = tuple(keys)
        _check_unique(self._keys)
        self._digests = [key.digest for key in self._keys]

    @classmethod
    def from_settings(cls, keys: Iterable[ApiKey], keys_file: Path | None) -> KeyRing:
        """The keys of the settings, and those of the keys file when there is one."""
        return cls([*keys, *(load_keys_file(keys_file) if keys_file else ())])

    @property
    def configured(self) -> bool:
        return bool(self._keys)

    def identify(self, secret: str) -> ApiKey | None:
        """The key whose secret this is, or None.

        Every key is compared, whatever matches, so the time taken says nothing about which
        key (or how much of one) was right; digests are compared, so not even the length of
        a key shows.
        """
        given = _sha256(secret)
        found = None
        for key, digest in zip(self._keys, self._digests, strict=True):
            if secrets.compare_digest(given, digest):
                found = key
        return found

    def __iter__(self) -> Iterator[ApiKey]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def load_keys_file(path: Path) -> list[ApiKey]:
    """The keys of a TOML (`[[keys]]` tables) or JSON (`{"keys": [...]}`) file.

    Raises ConfigurationError naming the file and what is wrong, never a secret in it.
    """
    try:
        text = path.read_text()
    except OSError as error:
        raise ConfigurationError(f"cannot read the keys file {path}: {error.strerror}") from None
    try:
        tree = _parse(path, text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        raise ConfigurationError(f"the keys file {path} is not valid: {error}") from None
    entries = tree.get("keys") if isinstance(tree, dict) else None
    if not isinstance(entries, list):
        raise ConfigurationError(f"the keys file {path} has no list of keys under 'keys'")
    keys = []
    for index, entry in enumerate(entries):
        try:
            keys.append(ApiKey.model_validate(entry))
        except ValidationError as error:
            raise ConfigurationError(
                f"the keys file {path}, key {index}: {describe(error)}"
            ) from None
    return keys


def describe(error: ValidationError) -> str:
    """A validation error's problems without the values given (which may be secrets)."""
    problems = error.errors(include_input=False, include_url=False)
    return "; ".join(
        f"{'.'.join(str(part) for part in problem['loc']) or 'key'}: {problem['msg']}"
        for problem in problems
    )


def _parse(path: Path, text: str) -> Any:
    if path.suffix == ".toml":
        return tomllib.loads(text)
    if path.suffix == ".json":
        return json.loads(text)
    raise ConfigurationError(f"the keys file {path} must end in .toml or .json")


def _check_unique(keys: tuple[ApiKey, ...]) -> None:
    names = [key.name for key in keys]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ConfigurationError(f"API key names must be unique: {', '.join(twice)}")
    digests = [key.digest for key in keys]
    if len(set(digests)) != len(digests):
        raise ConfigurationError("two API keys have the same secret; give each its own")


def _sha256(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()
