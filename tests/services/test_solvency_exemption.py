"""Issue 13 item 2: ethnic Kazakhs on the GENERAL route are exempt from the
solvency gate (SPEC §1, §3 ``unless``), as the default model's version 2026.2,
which the seed publishes through the normal path (draft, publish, re-score)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import models as m
from core.settings import Settings
from cli.main import rescore_after_seed
from core.db import transaction
from models.enums import ApplicationStatus, ScoringModelStatus
from services import jobs
from services.default_model import DEFAULT_MODEL_VERSION, FIRST_MODEL_DEFINITION
from services.scoring_models import create_scoring_model, publish_scoring_model
from services.seed import seed
from services.viewer import SYSTEM
from tests.conftest import BACKEND, GQL
from tests.helpers_pipeline import mrp_2026_savings, submit, submit_input, take_through

Sessions = async_sessionmaker[AsyncSession]


def solvency(score: dict[str, Any]) -> dict[str, Any]:
    return next(g for g in score["gates"] if g["code"] == "solvency")


async def general(gql: GQL, *, ethnic_kazakh: bool, savings: str = "0.00") -> dict[str, Any]:
    app = await submit(gql, submit_input("GENERAL", "KZ-75", ethnic_kazakh=ethnic_kazakh))
    return await take_through(gql, app["id"], questionnaire={"savings": savings})


async def test_an_ethnic_kazakh_on_general_is_exempt_from_solvency(gql: GQL) -> None:
    kazakh = await general(gql, ethnic_kazakh=True)
    assert kazakh["status"] == "PASSED"
    assert kazakh["score"]["modelVersion"] == DEFAULT_MODEL_VERSION
    assert solvency(kazakh["score"]) == {"code": "solvency", "passed": True, "value": "0.00",
                                         "reason": "exempt: applicant is an ethnic Kazakh"}
    # everyone else still needs 1,320 MRP
    other = await general(gql, ethnic_kazakh=False)
    assert other["status"] == "FAILED"
    assert solvency(other["score"]) == {"code": "solvency", "passed": False, "value": "0.00",
                                        "reason": "savings in MRP 0.00 is below the minimum 1320"}
    solvent = await general(gql, ethnic_kazakh=False, savings=mrp_2026_savings(1320))
    assert solvent["status"] == "PASSED"
    assert solvency(solvent["score"])["reason"] == "savings in MRP 1320.00 meets the minimum 1320"


async def drop_versions(sessions: Sessions, *versions: str) -> None:
    """The database as it was seeded before these versions of the default model existed."""
    async with transaction(sessions) as s:
        model_ids = (await s.execute(select(m.ScoringModel.id).where(m.ScoringModel.version.in_(versions)))
                     ).scalars().all()
        assert len(model_ids) == len(versions)
        if s.bind.dialect.name == "postgresql":  # rebuilding the past: the audit trail is append-only there
            await s.execute(text("SET LOCAL session_replication_role = replica"))
        await s.execute(delete(m.AuditEvent).where(m.AuditEvent.entity_type == "scoring_model",
                                                   m.AuditEvent.entity_id.in_(model_ids)))
        await s.execute(delete(m.ScoringModel).where(m.ScoringModel.id.in_(model_ids)))


async def _drop_2026_2(sessions: Sessions) -> None:
    """The database as it was seeded before version 2026.2 existed (and the versions after it)."""
    await drop_versions(sessions, "2026.2", "2026.3", "2026.4")


async def test_seed_brings_an_existing_database_to_2026_2_and_rescores(
        gql: GQL, sessions: Sessions, settings: Settings) -> None:
    await _drop_2026_2(sessions)
    failed = await general(gql, ethnic_kazakh=True)
    assert (failed["status"], failed["score"]["modelVersion"]) == ("FAILED", "2026.1")
    assert solvency(failed["score"])["passed"] is False

    if BACKEND == "postgres":  # the re-scoring is queued: start from an empty queue
        await jobs.ensure_schema(settings)
        await _pg(settings, "DELETE FROM procrastinate_jobs")
    async with transaction(sessions) as s:
        report = await seed(s)
    async with sessions() as s:
        new = (await s.execute(select(m.ScoringModel).where(m.ScoringModel.version == "2026.2"))).scalar_one()
        actions = (await s.execute(select(m.AuditEvent.action).where(
            m.AuditEvent.entity_type == "scoring_model", m.AuditEvent.entity_id == new.id)
            .order_by(m.AuditEvent.id))).scalars().all()
        newer = (await s.execute(select(m.ScoringModel.id).where(m.ScoringModel.version.in_(("2026.3", "2026.4")))
                                 .order_by(m.ScoringModel.effective_from))).scalars().all()
    assert report.created == {"scoring_model": 3} and report.published == [new.id, *newer]
    assert new.status == ScoringModelStatus.PUBLISHED
    assert actions == ["scoring_model.create", "scoring_model.publish"]

    # what `qonys seed` does once the seed has committed: re-score as a publish over the API does
    # (2026.2 and 2026.3 are replaced at once: the re-scoring is the newest's)
    outcomes = await asyncio.to_thread(rescore_after_seed, settings, report.published)
    if BACKEND == "sqlite":
        assert [(o.mode, o.rescored) for o in outcomes] == [("skipped", 0), ("skipped", 0), ("inline", 1)]
    else:
        assert [o.mode for o in outcomes] == ["skipped", "skipped", "queued"]
        await asyncio.wait_for(jobs.run_worker(settings, wait=False, install_signal_handlers=False), timeout=60)
    async with sessions() as s:
        app = (await s.execute(select(m.Application))).scalar_one()
        score = (await s.execute(select(m.Score))).scalar_one()
    assert (app.status, score.model_version) == (ApplicationStatus.PASSED, DEFAULT_MODEL_VERSION)
    assert next(g for g in score.result["gates"] if g["code"] == "solvency")["reason"] == (
        "exempt: applicant is an ethnic Kazakh")

    # idempotent: a second seed finds 2026.2 and publishes nothing
    async with transaction(sessions) as s:
        again = await seed(s)
    assert again.created == {} and again.published == []
    assert await asyncio.to_thread(rescore_after_seed, settings, again.published) == []


async def _pg(settings: Settings, sql: str) -> None:
    import psycopg

    async with await psycopg.AsyncConnection.connect(jobs.conninfo(settings), autocommit=True) as conn:
        await conn.execute(sql)


@pytest.mark.parametrize("clash", ["version", "effective date"])
async def test_the_seed_leaves_what_an_administrator_published(sessions: Sessions, clash: str) -> None:
    """An administrator's own 2026.2 is left alone; when a published model holds
    2026-01-02, the seed's 2026.2 waits as a draft (the seed still succeeds)."""
    await drop_versions(sessions, "2026.2", "2026.3", "2026.4")
    async with transaction(sessions) as s:
        version = "2026.2" if clash == "version" else "2026.admin"
        effective = dt.date(2026, 3, 1) if clash == "version" else dt.date(2026, 1, 2)
        own = await create_scoring_model(s, SYSTEM, version=version, effective_from=effective,
                                         definition=FIRST_MODEL_DEFINITION)
        await publish_scoring_model(s, SYSTEM, model_id=own.id)
    async with transaction(sessions) as s:
        report = await seed(s)
    async with sessions() as s:
        published = (await s.execute(select(m.ScoringModel.version).where(
            m.ScoringModel.id.in_(report.published)))).scalars().all()
    assert published == ["2026.3", DEFAULT_MODEL_VERSION]  # the versions after 2026.2 are seeded as ever
    async with sessions() as s:
        ours = (await s.execute(select(m.ScoringModel).where(m.ScoringModel.version == "2026.2"))).scalar_one()
    if clash == "version":
        assert (ours.id, ours.effective_from, report.notes) == (own.id, dt.date(2026, 3, 1), [])
    else:
        assert (ours.status, ours.effective_from) == (ScoringModelStatus.DRAFT, dt.date(2026, 1, 2))
        assert report.notes == ["scoring model 2026.2 is left as a DRAFT: model 2026.admin is already published "
                                "with effective date 2026-01-02; give the draft another date and publish it"]
