"""Which parts of a RunnableConfig travel with a task, and how.

Tags, metadata, run_name, configurable (so `configurable_fields` / `configurable_alternatives`
chosen by the caller take effect on the worker), recursion_limit, max_concurrency and run_id
travel. Callbacks stay with the caller: they cannot cross a process boundary.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from langchain_core.runnables import RunnableConfig

from kafkatask.serialization import ValueCodec

_PLAIN = ("tags", "run_name", "recursion_limit", "max_concurrency")
_VALUES = ("metadata", "configurable")


def config_to_wire(
    config: RunnableConfig | None, values: ValueCodec, task: str
) -> dict[str, Any] | None:
    """The travelling part of `config` as wire data; None when nothing travels."""
    if not config:
        return None
    given: dict[str, Any] = dict(config)
    wire: dict[str, Any] = {key: given[key] for key in _PLAIN if given.get(key) is not None}
    for key in _VALUES:
        mapping: dict[str, Any] = dict(given.get(key) or {})
        # LangChain and LangGraph keep process-local objects under "__"-prefixed keys.
        kept = {name: value for name, value in mapping.items() if not name.startswith("__")}
        if kept:
            wire[key] = values.encode(kept, f"config[{key!r}] of task {task}")
    if given.get("run_id") is not None:
        wire["run_id"] = str(given["run_id"])
    return wire or None


def config_from_wire(wire: dict[str, Any] | None, values: ValueCodec) -> RunnableConfig | None:
    if not wire:
        return None
    config: dict[str, Any] = {key: wire[key] for key in _PLAIN if key in wire}
    for key in _VALUES:
        if key in wire:
            config[key] = values.decode(wire[key])
    if "run_id" in wire:
        config["run_id"] = uuid.UUID(wire["run_id"])
    return cast(RunnableConfig, config)
