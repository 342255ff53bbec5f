"""Alembic migrations and database constraints, on SQLite AND PostgreSQL in every run.

Unlike the rest of the suite these tests do not follow QONYS_TEST_DB: each one
runs once on a temporary SQLite file and once on a freshly created PostgreSQL
database (``qonys_mig_<random>``, dropped afterwards). PostgreSQL being
unreachable skips its half locally and fails it in CI (``require_postgres``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

import models as m
from core.db import create_engine, session_factory
from models.enums import (
    ApplicationStatus,
    CheckStatus,
    ContractStatus,
    QuotaKind,
    RegionKind,
    Route,
    Sex,
)
from services import migrate
from tests.conftest import make_settings, pg_admin, pg_url, require_postgres

BACKENDS = ("sqlite", "postgres")


def _fresh_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty database (no tables) on ``backend``; removed afterwards."""
    if backend == "postgres":
        require_postgres()
        name = f"qonys_mig_{uuid.uuid4().hex[:12]}"
        asyncio.run(pg_admin(f'CREATE DATABASE "{name}"'))
        try:
            yield pg_url(name)
        finally:
            asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from _fresh_database(request.param, tmp_path)


@pytest.fixture(scope="module", params=BACKENDS)
def migrated_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated to head, with no rows: each test adds what it needs
    inside a transaction that is rolled back."""
    for url in _fresh_database(request.param, tmp_path_factory.mktemp("constraints")):
        migrate.upgrade(url)
        yield url


# ---------------------------------------------------------------- helpers


async def _schema_objects(url: str) -> dict[str, set[str]]:
    engine = create_engine(make_settings(url))
    try:
        async with engine.connect() as conn:
            def collect(sync_conn: Any) -> dict[str, set[str]]:
                insp = inspect(sync_conn)
                found = {"tables": set(insp.get_table_names())}
                if sync_conn.dialect.name == "postgresql":
                    found["sequences"] = set(insp.get_sequence_names())
                    found["types"] = {
                        row[0] for row in sync_conn.execute(text(
                            "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                            "WHERE n.nspname = 'public' AND t.typtype = 'e'"
                        ))
                    }
                else:
                    found["indexes"] = {
                        row[0] for row in sync_conn.execute(text(
                            "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'"
                        ))
                    }
                return found

            return await conn.run_sync(collect)
    finally:
        await engine.dispose()


def schema_objects(url: str) -> dict[str, set[str]]:
    return asyncio.run(_schema_objects(url))


@asynccontextmanager
async def scratch(url: str) -> AsyncIterator[AsyncSession]:
    """A session in a transaction that is always rolled back."""
    engine = create_engine(make_settings(url))
    try:
        async with session_factory(engine)() as session:
            await session.begin()
            try:
                yield session
            finally:
                await session.rollback()
    finally:
        await engine.dispose()


async def add(session: AsyncSession, *rows: Any) -> None:
    """Rows that must be accepted (the control half of each constraint test)."""
    async with session.begin_nested():
        session.add_all(rows)
        await session.flush()


async def refused(session: AsyncSession, row: Any = None, *, sql: str | None = None,
                  params: dict[str, Any] | None = None) -> IntegrityError:
    """The database itself refuses ``row`` (or the raw ``sql``) with an IntegrityError."""
    with pytest.raises(IntegrityError) as caught:
        async with session.begin_nested():
            if sql is not None:
                await session.execute(text(sql), params or {})
            else:
                session.add(row)
                await session.flush()
    return caught.value


NOW = dt.datetime(2026, 2, 1, 9, 0, tzinfo=dt.timezone.utc)


def region(code: str = "KZ-55", **kw: Any) -> m.Region:
    values: dict[str, Any] = dict(name_kk="Павлодар облысы", name_ru="Павлодарская область", name_en="Pavlodar Region",
                                  kind=RegionKind.OBLAST, labour_deficit=True)
    values.update(kw)
    return m.Region(code=code, **values)


def applicant() -> m.Applicant:
    return m.Applicant(full_name="Aigerim Sultan", birth_date=dt.date(1990, 5, 17), sex=Sex.FEMALE,
                       citizenship="CHN", ethnic_kazakh=True, document_number="E1234567")


def application(number: str, applicant_id: int, region_id: int) -> m.Application:
    return m.Application(number=number, applicant_id=applicant_id, route=Route.KANDAS, target_region_id=region_id,
                         status=ApplicationStatus.SUBMITTED, citizenship="CHN", document_number="E1234567",
                         submitted_at=NOW, due_date=dt.date(2026, 3, 2))


async def base_application(session: AsyncSession) -> tuple[m.Region, m.Application]:
    r = region()
    await add(session, r)
    a = applicant()
    await add(session, a)
    app = application("RP-2026-000001", a.id, r.id)  # type: ignore[arg-type]
    await add(session, app)
    return r, app


# ---------------------------------------------------------------- migrations


def test_upgrade_downgrade_upgrade_and_no_model_drift(empty_url: str) -> None:
    head = migrate.head_revision(empty_url)
    assert head is not None
    expected_tables = set(m.metadata.tables)

    migrate.upgrade(empty_url)
    after_upgrade = schema_objects(empty_url)
    assert after_upgrade["tables"] == expected_tables | {"alembic_version"}

    migrate.downgrade(empty_url, "base")
    after_downgrade = schema_objects(empty_url)
    assert after_downgrade["tables"] <= {"alembic_version"}, after_downgrade["tables"]
    assert not after_downgrade.get("indexes"), after_downgrade
    assert not after_downgrade.get("sequences"), after_downgrade
    assert not after_downgrade.get("types"), after_downgrade

    migrate.upgrade(empty_url)
    assert schema_objects(empty_url)["tables"] == expected_tables | {"alembic_version"}

    async def revision() -> str | None:
        engine = create_engine(make_settings(empty_url))
        try:
            return await migrate.current_revision(engine)
        finally:
            await engine.dispose()

    assert asyncio.run(revision()) == head
    # `alembic check`: the models and the migrations describe the same schema.
    migrate.check(empty_url)


# ---------------------------------------------------------------- constraints


async def test_region_code_must_be_iso_3166_2_kz(migrated_url: str) -> None:
    async with scratch(migrated_url) as s:
        await refused(s, region("KZ-99"))
        await refused(s, region("kz-55"))
        await add(s, region("KZ-55"))
        await refused(s, region("KZ-55", name_en="Duplicate"))  # codes are unique


async def test_quota_capacity_and_used_are_bounded(migrated_url: str) -> None:
    async with scratch(migrated_url) as s:
        r = region()
        await add(s, r)

        def quota(capacity: int, used: int, year: int = 2026) -> m.Quota:
            return m.Quota(kind=QuotaKind.KANDAS, year=year, region_id=r.id, capacity=capacity, used=used)

        await refused(s, quota(-1, 0))
        await refused(s, quota(5, 6))
        await refused(s, quota(5, -1))
        await add(s, quota(5, 5))
        await refused(s, quota(7, 0))  # one KANDAS quota per (region, year)
        # A KANDAS quota names no occupation; a LABOUR quota must name one.
        await refused(s, m.Quota(kind=QuotaKind.LABOUR, year=2026, region_id=r.id, capacity=3, used=0))


async def test_one_check_per_application_and_check_type(migrated_url: str) -> None:
    async with scratch(migrated_url) as s:
        _, app = await base_application(s)
        agency = m.Agency(code="GPO", name="General Prosecutor's Office", active=True)
        await add(s, agency)
        check_type = m.CheckType(code="CRIMINAL_RECORD", name="Criminal record", agency_id=agency.id,
                                 mandatory=True, active=True)
        await add(s, check_type)

        def check() -> m.Check:
            return m.Check(application_id=app.id, check_type_id=check_type.id, status=CheckStatus.REQUESTED,
                           requested_at=NOW, updated_at=NOW)

        await add(s, check())
        await refused(s, check())


async def test_application_numbers_are_unique(migrated_url: str) -> None:
    async with scratch(migrated_url) as s:
        r, app = await base_application(s)
        await refused(s, application(app.number, app.applicant_id, r.id))  # type: ignore[arg-type]
        await add(s, application("RP-2026-000002", app.applicant_id, r.id))  # type: ignore[arg-type]


async def test_one_contract_per_application(migrated_url: str) -> None:
    async with scratch(migrated_url) as s:
        r, app = await base_application(s)

        def contract(number: str) -> m.SocialContract:
            return m.SocialContract(number=number, application_id=app.id, region_id=r.id, family_size=3,
                                    start_date=dt.date(2026, 3, 1), end_date=dt.date(2031, 3, 1),
                                    status=ContractStatus.ACTIVE)

        await add(s, contract("SC-2026-000001"))
        await refused(s, contract("SC-2026-000002"))


INSERT_REGION = (
    "INSERT INTO region (code, name_kk, name_ru, name_en, kind, labour_deficit) "
    "VALUES (:code, 'a', 'b', 'c', :kind, :deficit)"
)


async def test_enum_columns_refuse_values_outside_the_enum(migrated_url: str) -> None:
    async with scratch(migrated_url) as s:
        # Raw SQL, so that nothing in Python validates the value first.
        await refused(s, sql=INSERT_REGION, params={"code": "KZ-10", "kind": "town", "deficit": True})
        await s.execute(text(INSERT_REGION), {"code": "KZ-10", "kind": "oblast", "deficit": True})
        region_id = (await s.execute(text("SELECT id FROM region WHERE code = 'KZ-10'"))).scalar_one()
        a = applicant()
        await add(s, a)
        insert_application = (
            "INSERT INTO application (number, applicant_id, route, target_region_id, status, citizenship, "
            "document_number, submitted_at, due_date, updated_at) VALUES (:number, :applicant, :route, :region, "
            ":status, 'CHN', 'E1', :now, :due, :now)"
        )
        params = {"applicant": a.id, "region": region_id, "now": NOW.replace(tzinfo=None), "due": dt.date(2026, 3, 2)}
        await refused(s, sql=insert_application,
                      params={**params, "number": "RP-1", "route": "KANDAS", "status": "LOST"})
        await refused(s, sql=insert_application,
                      params={**params, "number": "RP-2", "route": "TOURIST", "status": "SUBMITTED"})
        await refused(s, sql=insert_application,
                      params={**params, "number": "RP-3", "route": "kandas", "status": "SUBMITTED"})
        await s.execute(text(insert_application),
                        {**params, "number": "RP-4", "route": "KANDAS", "status": "SUBMITTED"})


async def test_foreign_keys_are_enforced(migrated_url: str) -> None:
    async with scratch(migrated_url) as s:
        if s.bind.dialect.name == "sqlite":
            assert (await s.execute(text("PRAGMA foreign_keys"))).scalar_one() == 1
        await refused(s, m.Quota(kind=QuotaKind.KANDAS, year=2026, region_id=987654, capacity=1, used=0))
        r = region()
        await add(s, r)
        a = applicant()
        await add(s, a)
        await refused(s, application("RP-2026-000009", 987654, r.id))  # type: ignore[arg-type]
        app = application("RP-2026-000010", a.id, r.id)  # type: ignore[arg-type]
        await add(s, app)
        # RESTRICT: a region that applications point at cannot be deleted.
        await refused(s, sql="DELETE FROM region WHERE id = :id", params={"id": r.id})


# ---------------------------------------------------------------- 0002d_reads: data filled in (issue 13 items 5, 11, 12, 13)


def _t(table_name: str, /, **columns: Any) -> Any:
    import sqlalchemy as sa

    return sa.table(table_name, *(sa.column(k, v) for k, v in columns.items()))


def test_the_reads_migration_fills_in_decisions_search_keys_passed_over_and_cancels_open_checks(
        empty_url: str) -> None:
    import sqlalchemy as sa

    from models.types import JSONType, UTCDateTime
    from services.search import search_key

    migrate.upgrade(empty_url, "5a81a9b607bd")
    T = UTCDateTime()
    t1, t2, t3 = (NOW + dt.timedelta(days=d) for d in (10, 11, 12))
    apps = [  # id, number, status, decided_at, decision_reason
        (1, "RP-2026-000001", "REJECTED", t1, "forged document"),
        (2, "RP-2026-000002", "WITHDRAWN", t2, None),
        (3, "RP-2026-000003", "APPROVED", t3, None),
        (4, "RP-2026-000004", "PASSED", None, None),
        (5, "RP-2026-000005", "REJECTED", t2, None),  # decided before reasons, nothing in the audit trail
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
                await ins(_t("agency", id=sa.Integer, code=sa.String, name=sa.String, active=sa.Boolean),
                          dict(id=1, code="GPO", name="GPO", active=True))
                await ins(_t("check_type", id=sa.Integer, code=sa.String, name=sa.String, agency_id=sa.Integer,
                             mandatory=sa.Boolean, active=sa.Boolean),
                          *[dict(id=i, code=c, name=c, agency_id=1, mandatory=True, active=True)
                            for i, c in ((1, "CRIMINAL_RECORD"), (2, "MEDICAL"))])
                await ins(_t("applicant", id=sa.Integer, full_name=sa.String, birth_date=sa.Date, sex=sa.String,
                             citizenship=sa.String, ethnic_kazakh=sa.Boolean, document_number=sa.String,
                             created_at=T),
                          dict(id=1, full_name="Айгерим Бекова", birth_date=dt.date(1990, 5, 17), sex="FEMALE",
                               citizenship="CHN", ethnic_kazakh=True, document_number="E1234567", created_at=NOW))
                await ins(_t("quota", id=sa.Integer, kind=sa.String, year=sa.Integer, region_id=sa.Integer,
                             capacity=sa.Integer, used=sa.Integer, updated_at=T),
                          dict(id=1, kind="KANDAS", year=2026, region_id=1, capacity=3, used=3, updated_at=t3))
                await ins(_t("application", id=sa.Integer, number=sa.String, applicant_id=sa.Integer,
                             route=sa.String, target_region_id=sa.Integer, status=sa.String, citizenship=sa.String,
                             document_number=sa.String, iin=sa.String, submitted_at=T, due_date=sa.Date,
                             decided_at=T, decision_reason=sa.String, updated_at=T, seats=sa.Integer,
                             quota_id=sa.Integer),
                          *[dict(id=i, number=n, applicant_id=1, route="KANDAS", target_region_id=1, status=st,
                                 citizenship="CHN", document_number=f"E12345{i}", iin="900517400123" if i == 1 else None,
                                 submitted_at=NOW, due_date=dt.date(2026, 3, 2), decided_at=at, decision_reason=r,
                                 updated_at=at or NOW, seats=3 if i == 3 else None, quota_id=1 if i == 3 else None)
                            for i, n, st, at, r in apps])
                checks = _t("check_result", id=sa.Integer, application_id=sa.Integer, check_type_id=sa.Integer,
                            status=sa.String, requested_at=T, updated_at=T, completed_at=T)
                await ins(checks,
                          dict(id=1, application_id=2, check_type_id=1, status="REQUESTED", requested_at=NOW,
                               updated_at=NOW, completed_at=None),
                          dict(id=2, application_id=2, check_type_id=2, status="CLEARED", requested_at=NOW,
                               updated_at=NOW, completed_at=NOW),
                          dict(id=3, application_id=4, check_type_id=1, status="REQUESTED", requested_at=NOW,
                               updated_at=NOW, completed_at=None))
                await ins(_t("selection_round", id=sa.Integer, quota_id=sa.Integer, ran_at=T, ran_by=sa.String,
                             cutoff_score=sa.Integer, seats_taken=sa.Integer),
                          dict(id=1, quota_id=1, ran_at=t3, ran_by="officer-5", cutoff_score=480, seats_taken=3))
                await ins(_t("selection_round_approval", id=sa.Integer, round_id=sa.Integer,
                             application_id=sa.Integer, rank=sa.Integer, score=sa.Integer, seats=sa.Integer),
                          dict(id=1, round_id=1, application_id=3, rank=2, score=480, seats=3))
                audit = _t("audit_event", at=T, actor_subject=sa.String, actor_role=sa.String, action=sa.String,
                           entity_type=sa.String, entity_id=sa.Integer, changes=JSONType)
                await ins(audit,
                          dict(at=t1, actor_subject="officer-9", actor_role="OFFICER", action="application.decide",
                               entity_type="application", entity_id=1,
                               changes={"status": ["FAILED", "REJECTED"], "reason": "forged document"}),
                          dict(at=t2, actor_subject="alice", actor_role="APPLICANT", action="application.withdraw",
                               entity_type="application", entity_id=2, changes={"reason": None}),
                          dict(at=t3, actor_subject="officer-5", actor_role="OFFICER",
                               action="selection_round.run", entity_type="selection_round", entity_id=1,
                               changes={"approved": [3], "passedOver": [4]}))
        finally:
            await engine.dispose()

    asyncio.run(load())
    migrate.upgrade(empty_url)

    async def read() -> dict[str, Any]:
        engine = create_engine(make_settings(empty_url))
        try:
            async with session_factory(engine)() as s:
                return {
                    "decisions": {d.application_id: d for d in (await s.execute(select(m.ApplicationDecision))).scalars()},
                    "apps": {a.id: a for a in (await s.execute(select(m.Application))).scalars()},
                    "checks": {c.id: c for c in (await s.execute(select(m.Check))).scalars()},
                    "passed_over": [(p.round_id, p.application_id, p.position) for p in (await s.execute(
                        select(m.SelectionRoundPassedOver))).scalars()],
                }
        finally:
            await engine.dispose()

    from sqlalchemy import select

    got = asyncio.run(read())
    d = got["decisions"]
    assert set(d) == {1, 2, 3, 5}
    assert (d[1].outcome.value, d[1].reason, d[1].decided_at, d[1].decided_by) == ("REJECTED", "forged document", t1,
                                                                                   "officer-9")
    assert (d[2].outcome.value, d[2].reason, d[2].decided_at, d[2].decided_by) == ("WITHDRAWN", None, t2, "alice")
    assert (d[3].outcome.value, d[3].decided_at, d[3].decided_by, d[3].selection_round_id) == (
        "APPROVED", t3, "officer-5", 1)
    assert d[3].reason.startswith("Approved by the selection round of 2026-02-13 on the 2026 KANDAS quota of KZ-55")
    assert (d[5].outcome.value, d[5].reason, d[5].decided_at, d[5].decided_by) == ("REJECTED", None, t2, None)
    assert got["passed_over"] == [(1, 4, 1)]
    for app in got["apps"].values():
        assert app.search_key == search_key(number=app.number, full_name="Айгерим Бекова", iin=app.iin,
                                            document_number=app.document_number)
    assert "bekova" in got["apps"][1].search_key and "900517400123" in got["apps"][1].search_key
    checks = got["checks"]
    assert (checks[1].status, checks[2].status, checks[3].status) == (
        CheckStatus.CANCELLED, CheckStatus.CLEARED, CheckStatus.REQUESTED)
    assert checks[1].updated_at > NOW and checks[2].updated_at == NOW
    assert checks[1].details == "Cancelled: the application was withdrawn."

    # And back: a cancelled check waits again under the old schema.
    migrate.downgrade(empty_url, "5a81a9b607bd")
    migrate.upgrade(empty_url)
