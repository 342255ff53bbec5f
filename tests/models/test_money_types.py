"""Column types on the test database (SQLite or PostgreSQL, per QONYS_TEST_DB):
``Money`` keeps tenge exact as Decimal with two places and never takes a float;
``UTCDateTime`` refuses naive datetimes and gives back aware UTC."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from models.types import Money, UTCDateTime

probe_metadata = sa.MetaData()
probe = sa.Table(
    "type_probe",
    probe_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("amount", Money(), nullable=True),
    sa.Column("at", UTCDateTime(), nullable=True),
)


@pytest.fixture
async def conn(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection to the test database with the probe table, which is dropped
    afterwards (on PostgreSQL the session's database is shared between tests)."""
    async with engine.begin() as connection:
        await connection.run_sync(probe_metadata.create_all)
    try:
        async with engine.connect() as connection:
            yield connection
    finally:
        async with engine.begin() as connection:
            await connection.run_sync(probe_metadata.drop_all)


async def store(conn: AsyncConnection, **values: object) -> int:
    async with conn.begin():
        result = await conn.execute(sa.insert(probe).values(**values).returning(probe.c.id))
        return result.scalar_one()


async def load(conn: AsyncConnection, column: sa.Column, row_id: int) -> object:
    async with conn.begin():
        return (await conn.execute(sa.select(column).where(probe.c.id == row_id))).scalar_one()


async def count(conn: AsyncConnection) -> int:
    async with conn.begin():
        return (await conn.execute(sa.select(sa.func.count()).select_from(probe))).scalar_one()


def raises_on_bind(error: type[Exception]) -> Any:
    """SQLAlchemy may wrap an error raised while binding in a StatementError."""
    return pytest.raises((error, StatementError))


def unwrap(exc: BaseException) -> BaseException:
    return exc.orig if isinstance(exc, StatementError) and exc.orig is not None else exc  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (Decimal("123456789012.34"), "123456789012.34"),
        (Decimal("999999999999.99"), "999999999999.99"),
        (Decimal("0.01"), "0.01"),
        (Decimal("0.1"), "0.10"),
        (Decimal("10"), "10.00"),
        (Decimal("4325"), "4325.00"),
        (Decimal("-250.50"), "-250.50"),
        (Decimal("0"), "0.00"),
        (1320, "1320.00"),
    ],
)
async def test_money_round_trips_exactly(conn: AsyncConnection, given: object, expected: str) -> None:
    row_id = await store(conn, amount=given)
    value = await load(conn, probe.c.amount, row_id)
    assert type(value) is Decimal
    assert str(value) == expected
    assert value.as_tuple().exponent == -2  # type: ignore[union-attr]


async def test_money_sums_of_cents_stay_exact(conn: AsyncConnection) -> None:
    amounts = [Decimal("0.10")] * 10 + [Decimal("0.20")] * 5 + [Decimal("1234567.89")]
    ids = [await store(conn, amount=a) for a in amounts]
    loaded = [await load(conn, probe.c.amount, i) for i in ids]
    assert sum(loaded, Decimal("0")) == Decimal("1234569.89")  # 0.1 + 0.2 as floats would drift


async def test_money_is_stored_without_floats(conn: AsyncConnection) -> None:
    row_id = await store(conn, amount=Decimal("123456789012.34"))
    async with conn.begin():
        if conn.dialect.name == "sqlite":
            kind, raw = (await conn.execute(
                sa.text("SELECT typeof(amount), amount FROM type_probe WHERE id = :id"), {"id": row_id}
            )).one()
            assert (kind, raw) == ("integer", 12345678901234)  # tiyn
        else:
            kind, raw = (await conn.execute(
                sa.text("SELECT pg_typeof(amount)::text, amount FROM type_probe WHERE id = :id"), {"id": row_id}
            )).one()
            assert kind == "numeric"
            assert raw == Decimal("123456789012.34")


@pytest.mark.parametrize("value", [0.1, 123.45, 1e3, float("nan")])
async def test_money_refuses_floats(conn: AsyncConnection, value: float) -> None:
    with raises_on_bind(TypeError) as caught:
        await store(conn, amount=value)
    assert isinstance(unwrap(caught.value), TypeError)
    assert "float" in str(caught.value)
    assert await count(conn) == 0  # nothing written


async def test_money_none_is_null(conn: AsyncConnection) -> None:
    row_id = await store(conn, amount=None)
    assert await load(conn, probe.c.amount, row_id) is None


async def test_utc_datetime_refuses_naive(conn: AsyncConnection) -> None:
    with raises_on_bind(ValueError) as caught:
        await store(conn, at=dt.datetime(2026, 1, 30, 12, 0))
    assert isinstance(unwrap(caught.value), ValueError)
    assert "naive" in str(caught.value)
    assert await count(conn) == 0


@pytest.mark.parametrize(
    "given",
    [
        dt.datetime(2026, 1, 30, 17, 45, 12, 123456, tzinfo=ZoneInfo("Asia/Almaty")),
        dt.datetime(2026, 1, 30, 12, 45, 12, 123456, tzinfo=dt.timezone.utc),
        dt.datetime(2026, 1, 30, 7, 45, 12, 123456, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    ],
)
async def test_utc_datetime_returns_aware_utc(conn: AsyncConnection, given: dt.datetime) -> None:
    row_id = await store(conn, at=given)
    value = await load(conn, probe.c.at, row_id)
    assert isinstance(value, dt.datetime)
    assert value.tzinfo is not None
    assert value.utcoffset() == dt.timedelta(0)
    assert value == given  # the same instant
    assert value == dt.datetime(2026, 1, 30, 12, 45, 12, 123456, tzinfo=dt.timezone.utc)
