"""Migration 0014_score_explanation on SQLite and PostgreSQL: a score stored whole
(before the migration) is split into ``result`` and ``explanation``, and put
together again by the downgrade, nothing lost either way; and 0016_rendered_lines
prints its lines as the API does."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from core.db import create_engine
from core.text import t
from models.types import JSONType, UTCDateTime
from services import migrate
from services.scoring import Basis, CriterionResult, GateResult, ScoreResult
from tests.conftest import make_settings
from tests.models.test_migrations import BACKENDS, NOW, _fresh_database, _t

LAW = Basis(kk="Бұйрық", ru="Приказ", en="Order")
WHOLE = ScoreResult(
    total=110, max_total=150, pass_mark=100, passed=True, pass_mark_basis=LAW,
    gates=(GateResult("language", True, "B1", t("{label} {value} meets the minimum {min}",
                                                     label=t("language level"), value="B1", min="A1"), basis=LAW),
           GateResult("adult", True, "28", "applicant age 28 meets the minimum 18")),  # plain English, no basis
    breakdown=(CriterionResult("kazakh", 110, 150, "B1", t("{value} gives {given} of {most}", value="B1",
                                                            given=110, most=150)),),
).to_json()
SCORE = _t("score", id=sa.Integer, application_id=sa.Integer, scoring_model_id=sa.Integer, model_version=sa.String,
           total=sa.Integer, max_total=sa.Integer, pass_mark=sa.Integer, passed=sa.Boolean, result=JSONType,
           computed_at=UTCDateTime(), stale=sa.Boolean)


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from _fresh_database(request.param, tmp_path)


def run(url: str, statement: Any, rows: list[dict[str, Any]] | None = None) -> list[Any]:
    async def go() -> list[Any]:
        engine = create_engine(make_settings(url))
        try:
            async with engine.begin() as conn:
                found = await conn.execute(statement, rows) if rows else await conn.execute(statement)
                return list(found.all()) if found.returns_rows else []
        finally:
            await engine.dispose()

    return asyncio.run(go())


def test_a_whole_score_is_split_by_the_upgrade_and_put_together_by_the_downgrade(empty_url: str) -> None:
    migrate.upgrade(empty_url, "0010_explain")
    T = UTCDateTime()
    run(empty_url, sa.insert(_t("region", id=sa.Integer, code=sa.String, name_kk=sa.String, name_ru=sa.String,
                                name_en=sa.String, kind=sa.String, labour_deficit=sa.Boolean)),
        [dict(id=1, code="KZ-55", name_kk="П", name_ru="П", name_en="Pavlodar", kind="oblast", labour_deficit=True)])
    run(empty_url, sa.insert(_t("applicant", id=sa.Integer, full_name=sa.String, birth_date=sa.Date, sex=sa.String,
                                citizenship=sa.String, ethnic_kazakh=sa.Boolean, document_number=sa.String,
                                created_at=T)),
        [dict(id=1, full_name="Айгерим Бекова", birth_date=dt.date(1990, 5, 17), sex="FEMALE", citizenship="CHN",
              ethnic_kazakh=True, document_number="E1234567", created_at=NOW)])
    run(empty_url, sa.insert(_t("application", id=sa.Integer, number=sa.String, applicant_id=sa.Integer,
                                route=sa.String, target_region_id=sa.Integer, status=sa.String,
                                citizenship=sa.String, document_number=sa.String, submitted_at=T,
                                due_date=sa.Date, updated_at=T)),
        [dict(id=i, number=f"RP-2026-00000{i}", applicant_id=1, route="KANDAS", target_region_id=1,
              status="PASSED", citizenship="CHN", document_number=f"E12345{i}", submitted_at=NOW,
              due_date=dt.date(2026, 3, 2), updated_at=NOW) for i in (1, 2)])
    run(empty_url, sa.insert(_t("scoring_model", id=sa.Integer, version=sa.String, status=sa.String,
                                effective_from=sa.Date, pass_mark=sa.Integer, definition=JSONType, created_at=T)),
        [dict(id=1, version="2026.4", status="PUBLISHED", effective_from=dt.date(2026, 1, 4), pass_mark=100,
              definition={"passMark": 100, "gates": [], "criteria": []}, created_at=NOW)])
    plain = {"total": 0, "maxTotal": 0, "passMark": 0, "passed": False, "gates": [], "breakdown": []}
    run(empty_url, sa.insert(SCORE), [
        dict(id=i, application_id=i, scoring_model_id=1, model_version="2026.4", total=110, max_total=150,
             pass_mark=100, passed=True, result=result, computed_at=NOW, stale=False)
        for i, result in ((1, WHOLE), (2, plain))])

    migrate.upgrade(empty_url)
    explanation = sa.column("explanation", JSONType)
    split = {row.id: (row.result, row.explanation)
             for row in run(empty_url, sa.select(SCORE.c.id, SCORE.c.result, explanation).select_from(SCORE))}
    result, explained = split[1]
    assert result == {**{k: v for k, v in WHOLE.items() if k != "passMarkBasis"},
                      "gates": [{"code": "language", "passed": True, "value": "B1",
                                 "reason": "language level B1 meets the minimum A1"},
                                {"code": "adult", "passed": True, "value": "28",
                                 "reason": "applicant age 28 meets the minimum 18"}],
                      "breakdown": [{"code": "kazakh", "points": 110, "maxPoints": 150, "value": "B1",
                                     "reason": "B1 gives 110 of 150"}]}
    assert explained == {
        "gates": {"language": {"reasonText": WHOLE["gates"][0]["reasonText"], "basis": LAW.to_json()}},
        "breakdown": {"kazakh": {"reasonText": WHOLE["breakdown"][0]["reasonText"]}},
        "passMarkBasis": LAW.to_json()}
    assert ScoreResult.from_stored(result, explained) == ScoreResult.from_json(WHOLE)
    assert split[2] == (plain, None)  # nothing to explain: stored in one part
    # 0016_rendered_lines: the lines as the API prints them, keys in the API's order (the stored
    # JSON's come back in PostgreSQL's jsonb order)
    rendered = {row.id: tuple(row)[1:] for row in run(empty_url, sa.select(
        SCORE.c.id, sa.column("rendered_gates", sa.Text), sa.column("rendered_breakdown", sa.Text)).select_from(SCORE))}
    assert rendered == {
        1: ('[{"code":"language","passed":true,"value":"B1","reason":"language level B1 meets the minimum A1"},'
            '{"code":"adult","passed":true,"value":"28","reason":"applicant age 28 meets the minimum 18"}]',
            '[{"code":"kazakh","points":110,"maxPoints":150,"value":"B1","reason":"B1 gives 110 of 150"}]'),
        2: ("[]", "[]")}

    migrate.downgrade(empty_url, "0010_explain")
    assert {row.id: row.result for row in run(empty_url, sa.select(SCORE.c.id, SCORE.c.result))} == {
        1: WHOLE, 2: plain}
