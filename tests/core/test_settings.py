"""Configuration from QONYS_* environment variables (SPEC §10): a wrong setting
is one clear line naming the variable, never a traceback or a silent default."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import DEFAULT_DATABASE_URL, DEFAULT_SECRET, ConfigError, load_settings

pytestmark = pytest.mark.engine_independent  # no database: once per `make test` (tests/conftest.py)

VARIABLES = ("QONYS_DATABASE_URL", "QONYS_SECRET_KEY", "QONYS_ENV", "QONYS_JWKS_URL",
             "QONYS_JWT_ISSUER", "QONYS_JWT_AUDIENCE", "QONYS_PGBOUNCER", "QONYS_DIRECT_DATABASE_URL",
             "QONYS_READ_DATABASE_URL", "QONYS_REPLICA_WAIT_MS", "QONYS_REPLICA_RETRY_S", "QONYS_WRITE_MARKS_DIR")
LONG_SECRET = "s" * 16 + "0123456789abcdef0123456789"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env file can leak in


def config_error(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.strip() and "\n" not in message, repr(message)
    assert "Traceback" not in message and "validation error" not in message.lower(), message
    return message


def test_defaults() -> None:
    settings = load_settings()
    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite+aiosqlite:///./qonys.db"
    assert settings.env == "development" and not settings.production
    assert settings.is_sqlite and settings.is_embedded_default


@pytest.mark.parametrize(
    "url",
    [
        "mysql://x",
        "not a url",
        "",
        "   ",
        "postgresql://postgres@localhost/qonys",  # not the async driver
        "sqlite:///./qonys.db",  # not the async driver
        "postgresql+psycopg2://postgres@localhost/qonys",
    ],
)
def test_wrong_database_url(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    message = config_error(monkeypatch, QONYS_DATABASE_URL=url)
    assert message.startswith("QONYS_DATABASE_URL"), message


def test_wrong_database_url_does_not_echo_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    message = config_error(monkeypatch, QONYS_DATABASE_URL="mysql://qonys:hunter2-secret@db.example/qonys")
    assert "QONYS_DATABASE_URL" in message
    assert "hunter2" not in message


@pytest.mark.parametrize(
    "url", ["postgresql+asyncpg://postgres@127.0.0.1:5432/qonys", "sqlite+aiosqlite:////tmp/other.db"]
)
def test_supported_database_urls(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("QONYS_DATABASE_URL", url)
    settings = load_settings()
    assert settings.database_url == url
    assert settings.is_sqlite == url.startswith("sqlite")
    assert not settings.is_embedded_default


def test_production_refuses_the_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    message = config_error(monkeypatch, QONYS_ENV="production")
    assert "QONYS_SECRET_KEY" in message
    assert DEFAULT_SECRET not in message  # the message does not echo secrets
    message = config_error(monkeypatch, QONYS_ENV="production", QONYS_SECRET_KEY=DEFAULT_SECRET)
    assert "QONYS_SECRET_KEY" in message


def test_production_refuses_a_short_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    message = config_error(monkeypatch, QONYS_ENV="production", QONYS_SECRET_KEY="short-secret")
    assert "QONYS_SECRET_KEY" in message
    assert "short-secret" not in message


def test_production_with_a_long_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QONYS_ENV", "production")
    monkeypatch.setenv("QONYS_SECRET_KEY", LONG_SECRET)
    settings = load_settings()
    assert settings.production
    assert settings.secret_key == LONG_SECRET


def test_development_accepts_the_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QONYS_ENV", "development")
    assert load_settings().secret_key == DEFAULT_SECRET


def test_unknown_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    message = config_error(monkeypatch, QONYS_ENV="staging")
    assert message.startswith("QONYS_ENV"), message


def test_pgbouncer_and_the_direct_url(monkeypatch: pytest.MonkeyPatch) -> None:
    bounced = "postgresql+asyncpg://qonys@pgbouncer:6432/qonys"
    direct = "postgresql+asyncpg://qonys@db:5432/qonys"
    monkeypatch.setenv("QONYS_DATABASE_URL", bounced)
    assert load_settings().session_database_url == bounced  # no PgBouncer said: the one URL
    monkeypatch.setenv("QONYS_PGBOUNCER", "1")
    monkeypatch.setenv("QONYS_DIRECT_DATABASE_URL", direct)
    settings = load_settings()
    assert settings.pgbouncer and settings.database_url == bounced and settings.session_database_url == direct


def test_pgbouncer_needs_postgresql_and_a_real_direct_url(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "PgBouncer" in config_error(monkeypatch, QONYS_PGBOUNCER="1")  # the SQLite default
    monkeypatch.delenv("QONYS_PGBOUNCER")
    assert config_error(monkeypatch, QONYS_DIRECT_DATABASE_URL="mysql://x/y").startswith(
        "QONYS_DIRECT_DATABASE_URL uses driver 'mysql'")


def test_a_read_replica(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().read_database_url is None  # unset: one database, as before
    monkeypatch.setenv("QONYS_DATABASE_URL", "postgresql+asyncpg://qonys@db-primary/qonys")
    monkeypatch.setenv("QONYS_READ_DATABASE_URL", "postgresql+asyncpg://qonys@db-replica/qonys")
    monkeypatch.setenv("QONYS_REPLICA_WAIT_MS", "50")
    settings = load_settings()
    assert settings.read_database_url == "postgresql+asyncpg://qonys@db-replica/qonys"
    assert settings.replica_wait_ms == 50 and settings.replica_retry_s == 5.0


def test_a_read_replica_needs_postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    message = config_error(monkeypatch, QONYS_READ_DATABASE_URL="postgresql+asyncpg://qonys@db-replica/qonys")
    assert message.startswith("QONYS_READ_DATABASE_URL") and "SQLite" in message, message  # the SQLite default
    monkeypatch.setenv("QONYS_DATABASE_URL", "postgresql+asyncpg://qonys@db-primary/qonys")
    assert config_error(monkeypatch, QONYS_READ_DATABASE_URL="sqlite+aiosqlite:///./replica.db").startswith(
        "QONYS_READ_DATABASE_URL")
    assert config_error(monkeypatch, QONYS_READ_DATABASE_URL="postgresql://qonys@db-replica/qonys").startswith(
        "QONYS_READ_DATABASE_URL uses driver 'postgresql'")
    monkeypatch.setenv("QONYS_READ_DATABASE_URL", "postgresql+asyncpg://qonys@db-replica/qonys")
    assert config_error(monkeypatch, QONYS_REPLICA_WAIT_MS="-1").startswith("QONYS_REPLICA_WAIT_MS")
