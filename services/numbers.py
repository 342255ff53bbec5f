"""Human-readable numbers (RP-2026-000123, SC-2026-000001), unique under concurrency:
the counter row is incremented with one UPDATE … RETURNING, which the database
serialises (a row lock on PostgreSQL, the write lock on SQLite)."""

from __future__ import annotations

from sqlalchemy import bindparam, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from models import NumberSequence

COUNTERS = NumberSequence.__table__
# Built once; the counter and the step are bound at each execution.
_MOVE_ON = (update(COUNTERS).where(COUNTERS.c.name == bindparam("counter"))
            .values(value=COUNTERS.c.value + bindparam("by")).returning(COUNTERS.c.value))


async def next_value(session: AsyncSession, name: str, by: int = 1) -> int:
    """The counter ``name`` moved on by ``by`` (the last of the ``by`` values taken);
    Core statements on the session's connection."""
    conn = await session.connection()
    params = {"counter": name, "by": by}
    value = (await conn.execute(_MOVE_ON, params)).scalar_one_or_none()
    if value is not None:
        return int(value)
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    await conn.execute(insert(COUNTERS).values(name=name, value=0).on_conflict_do_nothing())
    return int((await conn.execute(_MOVE_ON, params)).scalar_one())


def counter_name(prefix: str, year: int) -> str:
    """The counter of ``prefix``'s numbers in ``year`` (RP-2026)."""
    return f"{prefix}-{year}"


def format_number(prefix: str, year: int, value: int) -> str:
    """The ``value``-th number of ``prefix`` in ``year`` (RP-2026-000123)."""
    return f"{counter_name(prefix, year)}-{value:06d}"


async def next_number(session: AsyncSession, prefix: str, year: int) -> str:
    return format_number(prefix, year, await next_value(session, counter_name(prefix, year)))


async def next_numbers(session: AsyncSession, prefix: str, year: int, count: int) -> list[str]:
    """``count`` consecutive numbers of ``prefix`` in ``year``, taken with one UPDATE."""
    if count <= 0:
        return []
    last = await next_value(session, counter_name(prefix, year), count)
    return [format_number(prefix, year, value) for value in range(last - count + 1, last + 1)]
