"""Migration 0010_explain on SQLite and PostgreSQL: the score history rebuilt from
the audit trail with its reasons, and the rounds' seats offered."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import select

import models as m
from core.db import create_engine, session_factory
from models.types import JSONType, UTCDateTime
from services import migrate
from tests.conftest import make_settings
from tests.models.test_migrations import BACKENDS, NOW, _fresh_database, _t


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from _fresh_database(request.param, tmp_path)


def test_the_explain_migration_rebuilds_score_history_from_the_audit_trail(empty_url: str) -> None:
    migrate.upgrade(empty_url, "0006_audit_append_only")
    T = UTCDateTime()
    t = [NOW + dt.timedelta(days=d) for d in range(6)]
    result = {"total": 460, "maxTotal": 690, "passMark": 400, "passed": False, "gates": [], "breakdown": []}

    async def load() -> None:
        engine = create_engine(make_settings(empty_url))
        try:
            async with engine.begin() as conn:
                async def ins(table: Any, *rows: dict[str, Any]) -> None:
                    await conn.execute(sa.insert(table), list(rows))

                await ins(_t("region", id=sa.Integer, code=sa.String, name_kk=sa.String, name_ru=sa.String,
                             name_en=sa.String, kind=sa.String, labour_deficit=sa.Boolean),
                          dict(id=1, code="KZ-55", name_kk="П", name_ru="П", name_en="Pavlodar", kind="oblast",
                               labour_deficit=True))
                await ins(_t("applicant", id=sa.Integer, full_name=sa.String, birth_date=sa.Date, sex=sa.String,
                             citizenship=sa.String, ethnic_kazakh=sa.Boolean, document_number=sa.String,
                             created_at=T),
                          dict(id=1, full_name="Айгерим Бекова", birth_date=dt.date(1990, 5, 17), sex="FEMALE",
                               citizenship="CHN", ethnic_kazakh=True, document_number="E1234567", created_at=NOW))
                await ins(_t("application", id=sa.Integer, number=sa.String, applicant_id=sa.Integer,
                             route=sa.String, target_region_id=sa.Integer, status=sa.String, citizenship=sa.String,
                             document_number=sa.String, submitted_at=T, due_date=sa.Date, updated_at=T),
                          *[dict(id=i, number=f"RP-2026-00000{i}", applicant_id=1, route="KANDAS", target_region_id=1,
                                 status="PASSED", citizenship="CHN", document_number=f"E12345{i}", submitted_at=NOW,
                                 due_date=dt.date(2026, 3, 2), updated_at=NOW) for i in (1, 2)])
                await ins(_t("scoring_model", id=sa.Integer, version=sa.String, status=sa.String,
                             effective_from=sa.Date, pass_mark=sa.Integer, definition=JSONType, created_at=T),
                          *[dict(id=i, version=v, status="PUBLISHED", effective_from=dt.date(2026, 1, i),
                                 pass_mark=400, definition={"passMark": 400, "gates": [], "criteria": []},
                                 created_at=NOW) for i, v in ((1, "2026.2"), (2, "2026.9"))])
                await ins(_t("score", id=sa.Integer, application_id=sa.Integer, scoring_model_id=sa.Integer,
                             model_version=sa.String, total=sa.Integer, max_total=sa.Integer, pass_mark=sa.Integer,
                             passed=sa.Boolean, result=JSONType, computed_at=T, stale=sa.Boolean),
                          dict(id=1, application_id=1, scoring_model_id=2, model_version="2026.9", total=470,
                               max_total=690, pass_mark=400, passed=True, result=result, computed_at=t[4],
                               stale=False),
                          dict(id=2, application_id=2, scoring_model_id=1, model_version="2026.2", total=500,
                               max_total=690, pass_mark=400, passed=True, result=result, computed_at=t[1],
                               stale=False))
                await ins(_t("quota", id=sa.Integer, kind=sa.String, year=sa.Integer, region_id=sa.Integer,
                             capacity=sa.Integer, used=sa.Integer, updated_at=T),
                          dict(id=1, kind="KANDAS", year=2026, region_id=1, capacity=10, used=6, updated_at=NOW))
                await ins(_t("selection_round", id=sa.Integer, quota_id=sa.Integer, ran_at=T, ran_by=sa.String,
                             cutoff_score=sa.Integer, seats_taken=sa.Integer),
                          *[dict(id=i, quota_id=1, ran_at=t[5], ran_by="o", cutoff_score=480, seats_taken=2)
                            for i in (1, 2)])
                audit = _t("audit_event", at=T, actor_subject=sa.String, actor_role=sa.String, action=sa.String,
                           entity_type=sa.String, entity_id=sa.Integer, changes=JSONType)

                def event(at: dt.datetime, action: str, entity: int, **changes: Any) -> dict[str, Any]:
                    return dict(at=at, actor_subject="officer-1", actor_role="OFFICER", action=action,
                                entity_type="application", entity_id=entity, changes=changes)

                first = {"modelVersion": "2026.2", "total": 460, "passed": False, "result": result}
                await ins(audit,
                          event(t[0], "application.score", 1, **first, previous=None),
                          event(t[1], "application.score_stale", 1, changedFacts=["questionnaire.savingsMrp"]),
                          event(t[2], "application.score", 1, **{**first, "passed": True},
                                previous={"modelVersion": "2026.2", "total": 460}),
                          event(t[3], "application.score", 1, **{**first, "passed": True},
                                previous={"modelVersion": "2026.2", "total": 460}),
                          event(t[4], "application.rescore", 1, modelVersion="2026.9", total=470, passed=True,
                                result={**result, "total": 470}, previous={"modelVersion": "2026.2"}),
                          dict(at=t[5], actor_subject="o", actor_role="OFFICER", action="selection_round.run",
                               entity_type="selection_round", entity_id=1,
                               changes={"capacity": 10, "usedBefore": 4, "approved": []}))
        finally:
            await engine.dispose()

    asyncio.run(load())
    migrate.upgrade(empty_url)

    async def read() -> tuple[list[Any], dict[int, Any]]:
        engine = create_engine(make_settings(empty_url))
        try:
            async with session_factory(engine)() as s:
                rows = list((await s.execute(select(m.ScoreHistory).order_by(
                    m.ScoreHistory.application_id, m.ScoreHistory.computed_at))).scalars())
                rounds = {r.id: r for r in (await s.execute(select(m.SelectionRound))).scalars()}
                return rows, rounds
        finally:
            await engine.dispose()

    rows, rounds = asyncio.run(read())
    assert [(r.application_id, r.reason.value, r.model_version, r.scoring_model_id, r.total, r.passed, r.computed_at)
            for r in rows] == [
        (1, "FIRST_SCORE", "2026.2", 1, 460, False, t[0]),
        (1, "NEW_FACTS", "2026.2", 1, 460, True, t[2]),  # after the score went stale
        (1, "NEW_FACTS", "2026.2", 1, 460, True, t[3]),  # the same model again
        (1, "NEW_MODEL", "2026.9", 2, 470, True, t[4]),  # re-scored after a publish
        (2, "FIRST_SCORE", "2026.2", 1, 500, True, t[1]),  # a score the trail does not explain
    ]
    assert {(r.max_total, r.pass_mark) for r in rows} == {(690, 400)}
    assert (rounds[1].seats_offered, rounds[2].seats_offered) == (6, None)
    assert rounds[1].group_counts is None

    migrate.downgrade(empty_url, "0006_audit_append_only")
    migrate.upgrade(empty_url)
