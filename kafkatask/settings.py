"""One typed configuration object, read from arguments and `KAFKATASK_*` environment variables."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kafkatask.exceptions import ConfigurationError

Codec = Literal["msgpack", "json"]


class Settings(BaseSettings):
    """Everything kafkatask can be told; `App(**overrides)` and the environment fill it in.

    Any librdkafka option (SASL, TLS, tuning) goes in `kafka` (all clients), `producer` or
    `consumer`, spelled as librdkafka spells it, and reaches confluent-kafka unchanged, e.g.
    `KAFKATASK_KAFKA='{"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN"}'`.
    """

    model_config = SettingsConfigDict(
        env_prefix="KAFKATASK_", frozen=True, extra="forbid", validate_default=True
    )

    bootstrap_servers: str = "localhost:9092"
    namespace: str = Field(default="kafkatask", pattern=r"^[A-Za-z0-9._-]+$")
    """Prefix of every topic name, so several deployments can share a cluster."""
    codec: Codec = "msgpack"
    default_queue: str = Field(default="default", pattern=r"^[A-Za-z0-9._-]+$")

    # topics, created with these shapes when missing
    task_partitions: int = Field(default=12, ge=1)
    """Partitions of each task queue: the most workers sharing a queue, and their shares. 12
    splits evenly over 1, 2, 3, 4 and 6 workers (with 8, three workers got 3, 3 and 2, and one
    ran ahead while the others fell behind); a topic keeps the count it was created with."""
    result_partitions: int = Field(default=16, ge=1)
    stream_partitions: int = Field(default=8, ge=1)
    event_partitions: int = Field(default=2, ge=1)
    replication_factor: int = Field(default=1, ge=1)
    max_message_bytes: int = Field(default=1_000_000, ge=1024)
    """Largest encoded message a client sends; kafkatask's topics accept this much."""

    # client
    reply_partition: int | None = Field(default=None, ge=0)
    """The partition of the results topic this client reads; random when unset."""
    connect_timeout: float = Field(default=10.0, gt=0)
    """How long the first send waits for the broker to answer before raising."""
    delivery_timeout: float = Field(default=30.0, gt=0)
    """How long a produced message may wait for the broker's acknowledgement."""
    runnable_timeout: float | None = Field(default=None, gt=0)
    """How long Runnable calls (invoke, batch, stream) wait for a result or the next chunk."""
    result_cache_size: int = Field(default=10_000, ge=0)
    """Finished results kept so `app.AsyncResult(id)` finds a result that already arrived."""
    outage_log_interval: float = Field(default=30.0, gt=0)
    """Seconds between two "Kafka is still unreachable" lines while a broker is away."""
    result_wait_expiry: float = Field(default=600.0, gt=0)
    """Seconds a client keeps waiting, in memory, for a result nobody is waiting on (a `get`
    that timed out, a handle never waited on): afterwards a `get` reads it back from Kafka."""

    # tasks
    track_started: bool = False
    """Report RECEIVED and STARTED to the caller, not only the final state (one more message)."""

    # worker
    concurrency: int = Field(default=8, ge=1)
    prefetch: int | None = Field(default=None, ge=0)
    """Messages a worker holds beyond those running (waiting for a slot or their key).

    Defaults to the concurrency."""
    shutdown_grace: float = Field(default=30.0, ge=0)
    rebalance_grace: float = Field(default=10.0, ge=0)
    heartbeat_interval: float = Field(default=2.0, gt=0)
    commit_interval: float = Field(default=0.2, gt=0)
    max_uncommitted: int = Field(default=1000, ge=1)
    """The most records a worker reads past its last confirmed commit, over all its partitions
    (an equal share each): a crash makes at most this many run again (docs/reliability.md).
    Offsets commit in order, so a long task holds back the commits of its partition, and that
    partition takes no new tasks once it is its share ahead (the worker's others go on)."""
    session_timeout_ms: int = Field(default=10_000, ge=1000)
    """After this long without a heartbeat a worker's partitions move to others."""
    group_protocol: Literal["auto", "consumer", "classic"] = "auto"
    """Workers' consumer group protocol: "consumer" (KIP-848, Kafka 4.0+; rebalances move one
    partition at a time and members keep committing meanwhile), "classic", or "auto": "consumer"
    when the broker offers it. See docs/reliability.md."""
    max_poll_interval_ms: int = Field(default=300_000, ge=1000)
    revoke_window: float = Field(default=3600.0, gt=0)
    """How long a revoke is remembered (workers started later still honour it)."""
    idempotency_window: float = Field(default=600.0, ge=0)
    """A task id sent again within this many seconds runs once (0 turns this off)."""
    idempotency_max_bytes: int = Field(default=32 * 1024 * 1024, ge=0)
    """The most bytes of final replies a worker keeps to answer such copies; past it the
    oldest ids are forgotten first (a copy of one then runs again)."""
    events: bool = True
    """Workers publish task state events and heartbeats (the dashboard reads them)."""

    # security
    accept_pickle: bool = False
    """Allow values that only cloudpickle can carry. Requires `signing_secret`."""
    signing_secret: SecretStr | None = None

    # librdkafka pass-through
    kafka: dict[str, str | int | float | bool] = Field(default_factory=dict)
    producer: dict[str, str | int | float | bool] = Field(default_factory=dict)
    consumer: dict[str, str | int | float | bool] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _pickle_needs_signing(self) -> Settings:
        if self.accept_pickle and self.signing_secret is None:
            raise ConfigurationError(
                "accept_pickle=True lets a message run arbitrary code on the receiver, so it "
                "needs message signing: set signing_secret (KAFKATASK_SIGNING_SECRET) as well"
            )
        return self

    @property
    def effective_prefetch(self) -> int:
        return self.concurrency if self.prefetch is None else self.prefetch

    # -- dashboard (`kafkatask dashboard`; its host and port are command-line options) -------
    # Fields after the methods above so this block stays separate from the core settings.
    dashboard_token: SecretStr | None = None
    """A bearer token the dashboard requires (browsers: HTTP basic with it as the password)."""
    dashboard_username: str | None = None
    """HTTP basic user name the dashboard requires, together with `dashboard_password`."""
    dashboard_password: SecretStr | None = None
    dashboard_window: int = Field(default=10_000, ge=100)
    """How many recent tasks the dashboard keeps in memory (and rebuilds from the events topic)."""
