"""Request bodies: read within the size limit, parsed as JSON, checked against LangServe's shapes.

LangServe's clients send `{"input": ..., "config": {...}, "kwargs": {}}` to `/invoke`, `/stream`
and `/stream_events` (the last with its event filters too), and `{"inputs": [...], "config":
{...} or [{...}, ...], "kwargs": {}}` to `/batch`. Unknown members are ignored, as LangServe
does; the config keeps only the parts that travel with a task (runnable_config.py).
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Self, TypeVar

from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from starlette.requests import Request

from kafkatask.gateway.errors import GatewayError, invalid

Body = TypeVar("Body", bound=BaseModel)


class RunConfig(BaseModel):
    """The part of a RunnableConfig a client may send; other keys are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    tags: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)
    configurable: dict[str, Any] = Field(default_factory=dict)
    run_name: str | None = None
    run_id: uuid.UUID | None = None
    recursion_limit: int | None = Field(default=None, ge=1)
    max_concurrency: int | None = Field(default=None, ge=1)

    def runnable_config(self) -> RunnableConfig:
        """The RunnableConfig to send, with a run id (the client's, or a new one)."""
        config: dict[str, Any] = {
            "tags": self.tags,
            "metadata": self.metadata,
            "configurable": self.configurable,
            "run_id": self.run_id or uuid.uuid4(),
        }
        for name in ("run_name", "recursion_limit", "max_concurrency"):
            if getattr(self, name) is not None:
                config[name] = getattr(self, name)
        return config  # type: ignore[return-value]


class _Call(BaseModel):
    model_config = ConfigDict(extra="ignore")

    kwargs: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _no_kwargs(self) -> Self:
        if self.kwargs:
            raise ValueError("kwargs are not supported: put everything in the input")
        return self


class InvokeBody(_Call):
    """The body of `/invoke` and `/stream`."""

    input: Any
    config: RunConfig = Field(default_factory=RunConfig)


class BatchBody(_Call):
    """The body of `/batch`: one config for all inputs, or one per input."""

    inputs: list[Any]
    config: RunConfig | list[RunConfig] = Field(default_factory=RunConfig)

    def configs(self) -> list[RunConfig]:
        if isinstance(self.config, RunConfig):
            return [self.config] * len(self.inputs)
        if len(self.config) != len(self.inputs):
            raise GatewayError(
                422,
                f"{len(self.config)} configs for {len(self.inputs)} inputs: send one config, "
                "or one per input",
                errors=[{"field": "config", "message": "one config per input"}],
            )
        return self.config


class StreamEventsBody(InvokeBody):
    """The body of `/stream_events`: an input, and which events to keep."""

    include_names: list[str] | None = None
    include_types: list[str] | None = None
    include_tags: list[str] | None = None
    exclude_names: list[str] | None = None
    exclude_types: list[str] | None = None
    exclude_tags: list[str] | None = None

    def filters(self) -> list[list[str] | None]:
        """The filters in the order RemoteRunnable's EventFilter takes them."""
        return [
            self.include_names,
            self.include_types,
            self.include_tags,
            self.exclude_names,
            self.exclude_types,
            self.exclude_tags,
        ]


async def read_body(request: Request, model: type[Body], limit: int) -> Body:
    """The request's JSON body as `model`: 415, 413, 400 or 422 when it cannot be."""
    tree = await read_json(request, limit)
    try:
        return model.model_validate(tree)
    except ValidationError as error:
        raise invalid("the request body is not what this endpoint takes", error, "") from None


async def read_json(request: Request, limit: int) -> Any:
    """The request body parsed as JSON, reading no more than `limit` bytes of it."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "application/json":
        raise GatewayError(415, "send the body as JSON, with 'Content-Type: application/json'")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    body = bytearray()
    async for part in request.stream():
        body += part
        if len(body) > limit:
            raise _too_large(limit)
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as error:  # JSONDecodeError and bad UTF-8 are ValueErrors
        raise GatewayError(400, f"the body is not valid JSON: {error}") from None


def _too_large(limit: int) -> GatewayError:
    return GatewayError(413, f"the body is larger than this gateway accepts ({limit:,} bytes)")
