"""The async engine and sessions, on SQLite (aiosqlite) or PostgreSQL (asyncpg)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.util.concurrency import await_

from core.settings import Settings, get_settings


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Python's sqlite3 opens transactions lazily and cannot upgrade a reader to a
    # writer without risking SQLITE_BUSY; take control and begin explicitly.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # A writing transaction takes the write lock up front (BEGIN IMMEDIATE) so two
    # writers queue on busy_timeout instead of failing half-way. Read-only
    # sessions (``read_session_factory``) begin plainly: in WAL mode they neither
    # wait for writers nor block them.
    if conn.get_execution_options().get("qonys_read_only"):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def server_settings(settings: Settings, application_name: str, **extra: str) -> dict[str, str]:
    """The session settings a connection asks for when it opens: the timeouts
    (and ``extra``), unless it goes through PgBouncer, which refuses them (set
    them on the database role there: README, "PgBouncer")."""
    if settings.pgbouncer:
        return {"application_name": application_name}
    return {
        "statement_timeout": str(settings.statement_timeout_ms),
        "lock_timeout": str(settings.statement_timeout_ms),
        "idle_in_transaction_session_timeout": str(settings.statement_timeout_ms * 4),
        **extra,
        "application_name": application_name,
    }


def create_engine(settings: Settings | None = None, *, url: str | None = None, application_name: str = "qonys",
                  **kwargs: Any) -> AsyncEngine:
    """The engine of ``settings.database_url`` (or of ``url``: the read replica's)."""
    settings = settings or get_settings()
    url = url or settings.database_url
    if settings.is_sqlite:
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    connect_args = {
        "timeout": settings.connect_timeout_s,
        "command_timeout": settings.statement_timeout_ms / 1000 + 5,
        "server_settings": server_settings(settings, application_name=application_name),
    }
    if settings.pgbouncer:
        # Unnamed statements, parsed again at each execution, and none kept: a
        # named one would be left on a server connection the next transaction
        # may not get (asyncpg's cache and SQLAlchemy's both off).
        connect_args.update(statement_cache_size=0, prepared_statement_cache_size=0)
    connect_args.update(kwargs.pop("connect_args", {}))
    engine = create_async_engine(
        url,
        pool_size=settings.pool_size,
        max_overflow=settings.pool_size,
        pool_pre_ping=True,
        pool_timeout=settings.connect_timeout_s,
        connect_args=connect_args,
        **kwargs,
    )
    if not settings.pgbouncer:
        engine.sync_engine.dialect.do_ping = _ping_once  # type: ignore[method-assign]
    return engine


def _ping_once(dbapi_connection: Any) -> bool:
    """The pre-ping of a checkout in one round trip. SQLAlchemy's asyncpg ping wraps
    its ``;`` in BEGIN and ROLLBACK for PgBouncer's transaction mode (three round
    trips; sqlalchemy#10226), on every checkout: a mutation checks out twice (its
    transaction, then the payload's read). Straight to PostgreSQL the bare
    statement checks the same; a failure is the driver's error, as SQLAlchemy's
    own ping raises it, so that a lost connection is recognised and replaced."""
    try:
        await_(dbapi_connection._connection.fetchrow(";"))
    except Exception as error:  # noqa: BLE001 - translated for SQLAlchemy's is_disconnect
        dbapi_connection._handle_exception(error)
    return True


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def read_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for reading only (loaders, queries): no write lock on SQLite."""
    return async_sessionmaker(engine.execution_options(qonys_read_only=True), expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One session in one transaction: committed on success, rolled back on any error."""
    async with factory() as session:
        async with session.begin():
            yield session
