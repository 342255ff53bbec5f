"""Configuration from the environment (prefix ``QONYS_``), validated once."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_SECRET = "qonys-development-secret-change-me"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./qonys.db"
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one line naming the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QONYS_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    # ``database_url`` reaches PostgreSQL through PgBouncer in transaction pooling
    # mode (README, "PgBouncer"): no prepared statement is named or kept from one
    # transaction to the next, and nothing is sent as a session setting.
    pgbouncer: bool = False
    # PostgreSQL itself, when ``database_url`` goes through PgBouncer: migrations
    # and the job queue (procrastinate LISTENs, and keeps its schema on the
    # session's search path) need a session of their own. Unset: ``database_url``.
    direct_database_url: str | None = None
    # A streaming replica of ``database_url``'s PostgreSQL (README, "Read
    # replica"): the API's query operations (the compiled reads, the feed, the
    # lists) read there; writes, mutations and credentials stay on the primary.
    # Unset: everything on ``database_url`` (one engine, as without a replica).
    read_database_url: str | None = None
    # A caller who wrote reads the replica once it has replayed the write: its
    # next request waits up to this long for that, then reads the primary.
    replica_wait_ms: int = Field(200, ge=0, le=10_000)
    # A replica that could not be reached is tried again after this long
    # (meanwhile the reads go to the primary).
    replica_retry_s: float = Field(5.0, gt=0, le=600)
    # Where the workers of one ``qonys serve --workers N`` share the callers'
    # last write positions (``serve`` sets it to a directory of its own; under
    # plain ``uvicorn --workers N`` set it yourself). Unset: kept per process.
    write_marks_dir: str | None = None
    secret_key: str = DEFAULT_SECRET
    env: Literal["development", "production"] = "development"
    # An external identity provider: a JWKS document URL and the algorithms and
    # audience/issuer it signs with. When set, JWTs are verified against it.
    jwks_url: str | None = None
    jwt_algorithms: list[str] = Field(default_factory=lambda: ["HS256"])
    jwt_audience: str | None = None
    jwt_issuer: str | None = None
    token_ttl_minutes: int = Field(60, gt=0)
    admin_session_max_age: int = 8 * 3600
    statement_timeout_ms: int = 15_000
    connect_timeout_s: float = 5.0
    pool_size: int = 10
    max_body_bytes: int = 1_000_000
    # Compile eligible read queries into one SQL statement (PostgreSQL only).
    compiled_reads: bool = True
    # Pins "today" (Asia/Almaty) for a demonstration or a rehearsal of the new
    # year (models.base.pin_today); refused in production.
    today: dt.date | None = None
    # The Bearer token a Prometheus scrape of /metrics must send. Unset: /metrics
    # is open in development and answers 404 in production (server.security).
    metrics_token: str | None = None
    # Webhooks to agencies: each try waits this long for the receiver, and a
    # failed try is retried after webhook_backoff_s * 2**(tries - 1) seconds.
    webhook_timeout_s: float = Field(5.0, gt=0, le=30)
    webhook_backoff_s: float = Field(10.0, ge=0)

    @field_validator("database_url", "direct_database_url", "read_database_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.strip():
            raise ValueError("is empty")
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"is not a database URL ({exc})") from None
        if url.drivername not in SUPPORTED_DRIVERS:
            raise ValueError(
                f"uses driver '{url.drivername}'; use one of {', '.join(SUPPORTED_DRIVERS)}"
            )
        return value

    @model_validator(mode="after")
    def _production_secret(self) -> "Settings":
        if self.pgbouncer and self.is_sqlite:
            raise ValueError("QONYS_PGBOUNCER is for a PostgreSQL QONYS_DATABASE_URL that goes through PgBouncer")
        if self.read_database_url is not None and (self.is_sqlite or self.read_database_url.startswith("sqlite")):
            raise ValueError("QONYS_READ_DATABASE_URL names a PostgreSQL streaming replica of a PostgreSQL "
                             "QONYS_DATABASE_URL; SQLite has no replicas (unset it)")
        if self.env == "production" and self.today is not None:
            raise ValueError("QONYS_TODAY is honoured only outside production; unset it")
        if self.env == "production":
            if self.secret_key == DEFAULT_SECRET or len(self.secret_key) < 32:
                raise ValueError(
                    "QONYS_SECRET_KEY must be set to a secret of at least 32 characters in production"
                )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def session_database_url(self) -> str:
        """Where a session of its own may be held (migrations, LISTEN): PostgreSQL
        itself, never a transaction-pooling PgBouncer."""
        return self.direct_database_url or self.database_url

    @property
    def is_embedded_default(self) -> bool:
        return self.database_url == DEFAULT_DATABASE_URL

    @property
    def production(self) -> bool:
        return self.env == "production"

    def apply_clock(self) -> None:
        """Pin "today" when ``QONYS_TODAY`` asks for it (never in production: refused above)."""
        if self.today is not None and not self.production:
            from core.clock import pin_today

            pin_today(self.today)


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning validation errors into one clear line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = first.get("loc") or ()
        name = f"QONYS_{str(loc[0]).upper()}" if loc else "configuration"
        msg = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        if name == "configuration" or msg.startswith("QONYS_"):
            raise ConfigError(msg) from None
        raise ConfigError(f"{name} {msg}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
