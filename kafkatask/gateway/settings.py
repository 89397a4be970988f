"""GatewaySettings: everything the gateway can be told, from arguments and the environment.

Read like kafkatask's own Settings, from `KAFKATASK_GATEWAY_*` environment variables
(`KAFKATASK_GATEWAY_TIMEOUT=30`, `KAFKATASK_GATEWAY_KEYS='[{"name": ..., "key": ...}]'`). They
are the gateway's own: the broker, the namespace and the client's timeouts come from the App's
Settings, as for every other part of kafkatask.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from kafkatask.gateway.keys import ApiKey


class GatewaySettings(BaseSettings):
    """The gateway's settings; every one is documented in docs/gateway.md."""

    model_config = SettingsConfigDict(
        env_prefix="KAFKATASK_GATEWAY_",
        frozen=True,
        extra="forbid",
        # A validation error must not print a secret (API keys are settings too).
        hide_input_in_errors=True,
    )

    keys: tuple[ApiKey, ...] = ()
    """API keys, each with its name, secret (or its SHA-256), tasks, rights and rate."""
    keys_file: Path | None = None
    """A TOML or JSON file of more API keys, read at start."""
    body_limit: int = Field(default=1_048_576, ge=1024)
    """Largest request body accepted, in bytes; a larger one is answered 413."""
    batch_limit: int = Field(default=100, ge=1)
    """Most inputs one batch request may carry; more is answered 422."""
    timeout: float = Field(default=60.0, gt=0)
    """Seconds to wait for a result, or for the next record of a stream, before 504."""
    tracebacks: bool = False
    """Put the worker's traceback in error answers (off: type and message only)."""
    keep_alive: float = Field(default=15.0, gt=0)
    """Seconds of silence after which a stream sends an SSE comment (keeps proxies open)."""
    websocket_streams: int = Field(default=16, ge=1)
    """Streams one WebSocket connection may follow at once."""
    allowed_origins: tuple[str, ...] = ()
    """Origins (`https://app.example.com`) whose pages may open the WebSocket endpoint, besides
    pages served from the gateway's own host."""
