"""The engine's pool on PostgreSQL: a pooled connection the server has closed is
found out at checkout (the pre-ping, one round trip) and replaced, so that the
next request does not fail."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.db import create_engine
from tests.conftest import BACKEND, PGBOUNCER, make_settings

pytestmark = pytest.mark.skipif(BACKEND != "postgres" or PGBOUNCER,
                                reason="PostgreSQL's own backends (not PgBouncer's)")


async def test_a_connection_the_server_closed_is_replaced_at_checkout(database_url: str) -> None:
    engine = create_engine(make_settings(database_url, pool_size=1))
    other = create_engine(make_settings(database_url))
    try:
        async with engine.connect() as conn:
            first = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with other.connect() as conn:  # the server ends the pooled connection's backend
            assert (await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})).scalar_one()
        async with engine.connect() as conn:
            second = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert second != first
        assert engine.sync_engine.pool.checkedout() == 0
    finally:
        await engine.dispose()
        await other.dispose()


async def test_the_read_pool_waits_for_a_connection_at_most_the_connect_timeout(database_url: str) -> None:
    """All of the read pool's connections taken: the next read fails after the
    connect timeout (a clear error), and reads again once one is back."""
    import asyncio
    import time

    from core.readpool import ReadPool

    pool = ReadPool(make_settings(database_url, pool_size=1, connect_timeout_s=0.3))
    try:
        async with pool._connection():
            start = time.monotonic()
            with pytest.raises(TimeoutError):
                await pool.fetchval("SELECT 1", [])
            assert 0.25 < time.monotonic() - start < 3
        assert await asyncio.wait_for(pool.fetchval("SELECT 2", []), 5) == 2
    finally:
        pool.terminate()


async def test_one_connection_shares_a_read_connection_among_the_blocks_statements(database_url: str) -> None:
    """The compiled lane's key check and statement: one connection of the read
    pool for the block's statements, never one in use by a task it started, and
    every connection back in the pool when the block ends, also by an error."""
    import asyncio

    from core.readpool import ReadPool, one_connection

    pool = ReadPool(make_settings(database_url, pool_size=2, connect_timeout_s=1))
    pid = "SELECT pg_backend_pid()"
    both_free = "SELECT pg_backend_pid() FROM pg_sleep(0.05)"
    try:
        async with one_connection():
            first = await pool.fetchval(pid, [])
            started = await asyncio.create_task(pool.fetchval(pid, []))  # sees the block; takes its own
            assert (await pool.fetchrow(pid, []))[0] == first
            assert started != first
        assert len(set(await asyncio.gather(pool.fetchval(both_free, []), pool.fetchval(both_free, [])))) == 2
        with pytest.raises(ZeroDivisionError):
            async with one_connection():
                await pool.fetchval(pid, [])
                1 / 0
        assert len(set(await asyncio.gather(pool.fetchval(both_free, []), pool.fetchval(both_free, [])))) == 2
    finally:
        pool.terminate()
