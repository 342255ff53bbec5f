"""Migration 0007_kandas_review grants a kandas status to every KANDAS application
already approved, dated by its decision (Almaty), on SQLite and PostgreSQL; and
goes back down."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select

import models as m
from core.db import create_engine, session_factory
from models.types import UTCDateTime
from services import migrate, numbers
from tests.conftest import make_settings
from tests.models.test_migrations import _t, empty_url  # noqa: F401  (the fixture: both databases)

UTC = dt.timezone.utc


def test_approved_kandas_applications_get_their_status(empty_url: str) -> None:  # noqa: F811
    migrate.upgrade(empty_url, "0006_audit_append_only")
    T = UTCDateTime()
    # id, route, status, decided_at, decision row's decided_at
    apps = [
        (1, "KANDAS", "APPROVED", dt.datetime(2026, 3, 31, 20, tzinfo=UTC), dt.datetime(2026, 3, 31, 20, tzinfo=UTC)),
        (2, "KANDAS", "APPROVED", dt.datetime(2028, 2, 29, 6, tzinfo=UTC), None),  # no decision row: decided_at
        (3, "GENERAL", "APPROVED", dt.datetime(2026, 5, 1, 6, tzinfo=UTC), None),
        (4, "KANDAS", "PASSED", None, None),
    ]

    async def load() -> None:
        engine = create_engine(make_settings(empty_url))
        try:
            async with engine.begin() as conn:
                async def ins(table: Any, *rows: dict[str, Any]) -> None:
                    await conn.execute(sa.insert(table), list(rows))

                await ins(_t("region", id=sa.Integer, code=sa.String, name_kk=sa.String, name_ru=sa.String,
                             name_en=sa.String, kind=sa.String, labour_deficit=sa.Boolean),
                          dict(id=1, code="KZ-55", name_kk="Павлодар", name_ru="Павлодар", name_en="Pavlodar",
                               kind="oblast", labour_deficit=True))
                await ins(_t("applicant", id=sa.Integer, full_name=sa.String, birth_date=sa.Date, sex=sa.String,
                             citizenship=sa.String, ethnic_kazakh=sa.Boolean, document_number=sa.String,
                             created_at=T),
                          *[dict(id=i, full_name="Айгерим Бекова", birth_date=dt.date(1990, 5, 17), sex="FEMALE",
                                 citizenship="CHN", ethnic_kazakh=True, document_number=f"E123456{i}",
                                 created_at=dt.datetime(2026, 1, 5, tzinfo=UTC)) for i, *_ in apps])
                await ins(_t("application", id=sa.Integer, number=sa.String, applicant_id=sa.Integer,
                             route=sa.String, target_region_id=sa.Integer, status=sa.String, citizenship=sa.String,
                             document_number=sa.String, submitted_at=T, due_date=sa.Date, decided_at=T,
                             updated_at=T),
                          *[dict(id=i, number=f"RP-2026-00000{i}", applicant_id=i, route=route, target_region_id=1,
                                 status=status, citizenship="CHN", document_number=f"E123456{i}",
                                 submitted_at=dt.datetime(2026, 1, 5, tzinfo=UTC), due_date=dt.date(2026, 2, 3),
                                 decided_at=decided, updated_at=decided or dt.datetime(2026, 1, 5, tzinfo=UTC))
                            for i, route, status, decided, _ in apps])
                await ins(_t("application_decision", application_id=sa.Integer, outcome=sa.String, decided_at=T,
                             decided_by=sa.String),
                          *[dict(application_id=i, outcome="APPROVED", decided_at=row, decided_by="officer-5")
                            for i, _, _, _, row in apps if row is not None])
        finally:
            await engine.dispose()

    asyncio.run(load())
    migrate.upgrade(empty_url)

    async def read() -> tuple[dict[int, m.KandasStatus], str]:
        engine = create_engine(make_settings(empty_url))
        try:
            async with session_factory(engine)() as s:
                statuses = {k.application_id: k for k in (await s.execute(select(m.KandasStatus))).scalars()}
                following = await numbers.next_number(s, "KS", 2026)
                s.expunge_all()  # keep what was read; the number taken is not kept
                await s.rollback()
                return statuses, following
        finally:
            await engine.dispose()

    statuses, following = asyncio.run(read())
    assert set(statuses) == {1, 2}
    first, second = statuses[1], statuses[2]
    # 20:00 UTC on 31 March is 1 April in Almaty.
    assert (first.number, first.granted_on, first.valid_until, first.status.value) == (
        "KS-2026-000001", dt.date(2026, 4, 1), dt.date(2027, 4, 1), "ACTIVE")
    assert (first.applicant_id, first.extended_months, first.end_reason) == (1, None, None)
    assert (second.number, second.granted_on, second.valid_until) == (
        "KS-2028-000001", dt.date(2028, 2, 29), dt.date(2029, 2, 28))
    assert following == "KS-2026-000002"  # the counter moved past the numbers the migration gave

    migrate.downgrade(empty_url, "0006_audit_append_only")
    migrate.upgrade(empty_url)
