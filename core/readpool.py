"""A plain asyncpg pool for the compiled read path (PostgreSQL only).

The compiled read path sends ONE prepared statement per request and needs no
transaction, no ORM and no liveness ping. Through SQLAlchemy's pool every
checkout costs a pre-ping (BEGIN, ``;``, ROLLBACK: three round trips) and a hop
through greenlets; asyncpg's own pool costs neither, and asyncpg keeps each
connection's prepared statements in its statement cache.

Its connections also ask PostgreSQL for generic plans
(``plan_cache_mode=force_generic_plan``): a compiled statement is the same text
for every request of its shape, so planning it once per connection is enough
(measured on the officers' list: 4.4–4.6 ms a statement with ``auto``, 3.5–3.8 ms
with generic plans).

Through PgBouncer in transaction pooling mode (``settings.pgbouncer``) nothing
is kept: each statement is unnamed and parsed again (two round trips instead of
one, and a custom plan), and the session settings are the server's (core.db).

The pool opens its connections lazily, on the first compiled query, and is closed
when its engine is disposed (``engine_disposed``), so whoever disposes the
engine (the app's lifespan, a test) also closes this pool. A broken connection is
discarded by asyncpg on release and replaced on the next acquire, so the read
path recovers from a database restart by itself; meanwhile the caller falls back
to normal execution, which reports SERVICE_UNAVAILABLE.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import server_settings
from core.settings import Settings

_ATTR = "qonys_read_pool"
# ``one_connection``: the task whose statements share connections, and the
# connection it holds of each pool.
_SHARED: ContextVar[tuple[asyncio.Task[Any] | None, dict[ReadPool, tuple[asyncpg.Pool, asyncpg.Connection]]]
                    | None] = ContextVar("qonys_read_pool_shared", default=None)


class ReadPool:
    def __init__(self, settings: Settings, url: URL | str | None = None, application_name: str = "qonys-read") -> None:
        dsn = make_url(url or settings.database_url).set(drivername="postgresql")
        self._dsn = dsn.render_as_string(hide_password=False)
        self._size = settings.pool_size
        self._timeout = settings.connect_timeout_s
        self._server_settings = server_settings(settings, application_name, plan_cache_mode="force_generic_plan")
        # Through PgBouncer: unnamed statements only (see core.db).
        self._statement_cache_size = 0 if settings.pgbouncer else 100
        self._command_timeout = settings.statement_timeout_ms / 1000 + 5
        self._pool: asyncpg.Pool | None = None
        self._lock = asyncio.Lock()

    async def _get(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._lock:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(
                        self._dsn, min_size=0, max_size=self._size, timeout=self._timeout,
                        command_timeout=self._command_timeout, server_settings=self._server_settings,
                        statement_cache_size=self._statement_cache_size, reset=_reset)
        return self._pool

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection, waited for at most the connect timeout. The wait is
        bounded with ``asyncio.timeout``: asyncpg's own ``acquire(timeout=)`` runs it
        in a task of its own (``wait_for``), one more hop through the event loop on
        every read. Inside ``one_connection`` the connection of the block's first
        statement here, kept for the block's next ones."""
        shared = _SHARED.get()
        if shared is not None and shared[0] is asyncio.current_task():
            held = shared[1]
            if self not in held:
                held[self] = await self._acquire()
            yield held[self][1]
            return
        pool, conn = await self._acquire()
        try:
            yield conn
        finally:
            await pool.release(conn)

    async def _acquire(self) -> tuple[asyncpg.Pool, asyncpg.Connection]:
        pool = await self._get()
        async with asyncio.timeout(self._timeout):
            return pool, await pool.acquire()

    async def fetchval(self, sql: str, arguments: list[Any]) -> Any:
        async with self._connection() as conn:
            return await conn.fetchval(sql, *arguments)

    async def fetchrow(self, sql: str, arguments: list[Any]) -> Any:
        async with self._connection() as conn:
            return await conn.fetchrow(sql, *arguments)

    def terminate(self) -> None:
        """Close every connection now (synchronous: called from ``engine.dispose()``)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.terminate()


async def _reset(conn: asyncpg.Connection) -> None:
    """What a connection needs before reuse here. asyncpg's default reset sends
    ``RESET ALL``, ``UNLISTEN *``, … (one more round trip per request) to undo
    session state that this path never creates: it only runs single SELECTs."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


@asynccontextmanager
async def one_connection() -> AsyncIterator[None]:
    """The block's statements on a read pool share one of its connections, taken at
    the first and given back at the end: a request of the compiled lane (the API
    key's check, then the compiled statement) waits for a free connection once,
    not twice (at 16 connections over a pool of 10, each wait is a place in a
    queue). Only for the task that opened the block: tasks it starts (which see
    its context) take connections of their own, never one in use."""
    held: dict[ReadPool, tuple[asyncpg.Pool, asyncpg.Connection]] = {}
    token = _SHARED.set((asyncio.current_task(), held))
    try:
        yield
    finally:
        _SHARED.reset(token)
        for pool, conn in held.values():
            await pool.release(conn)


def read_pool(engine: AsyncEngine, settings: Settings, application_name: str = "qonys-read") -> ReadPool:
    """The engine's read pool (on the engine's database: the primary's, or the read
    replica's), created on first use and closed with the engine."""
    sync_engine = engine.sync_engine
    pool: ReadPool | None = getattr(sync_engine, _ATTR, None)
    if pool is None:
        pool = ReadPool(settings, engine.url, application_name)
        setattr(sync_engine, _ATTR, pool)
        event.listen(sync_engine, "engine_disposed", lambda _engine: pool.terminate())
    return pool
