"""Model 2026.3 (SPEC §15) reaches an existing database through the normal path: the
seed creates it as a draft and publishes it, and the re-scoring that follows a publish
fails the scored, undecided applicants with false documents on record."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select

import models as m
from api.graphql import ids
from cli.main import rescore_after_seed
from core.db import transaction
from core.settings import Settings
from models.enums import ApplicationStatus, ViolationKind
from services import jobs
from services.labour import violations
from services.seed import seed
from services.viewer import Viewer
from tests.conftest import BACKEND, GQL
from tests.helpers_pipeline import SCORE, ok, submit, submit_input, take_through
from tests.services.test_solvency_exemption import Sessions, _pg, drop_versions

OFFICER = Viewer(subject="officer-1", role="OFFICER")


async def test_seed_publishes_2026_3_and_the_rescore_fails_false_documents(
        gql: GQL, sessions: Sessions, settings: Settings) -> None:
    await drop_versions(sessions, "2026.3", "2026.4")
    honest = await submit(gql, submit_input("KANDAS", "KZ-55"))
    forger = await submit(gql, submit_input("KANDAS", "KZ-55", citizenship="TKM"))
    for app in (honest, forger):
        scored = await take_through(gql, app["id"])
        assert (scored["status"], scored["score"]["modelVersion"]) == ("PASSED", "2026.2")
    forger_id = ids.decode_as(forger["id"], "Application")
    async with transaction(sessions) as s:
        await violations.record_violation(s, OFFICER, kind=ViolationKind.FALSE_DOCUMENTS,
                                          occurred_on=dt.date(2026, 9, 1), external_id="MVD-FD-77",
                                          application_id=forger_id)
        # the new fact made the score stale: back to SUBMITTED until scored again
        assert (await s.get(m.Application, forger_id)).status == ApplicationStatus.SUBMITTED
    rescored = await ok(gql, SCORE, {"applicationId": forger["id"]})
    assert (rescored["status"], rescored["score"]["modelVersion"]) == ("PASSED", "2026.2")  # no such gate yet

    if BACKEND == "postgres":
        await jobs.ensure_schema(settings)
        await _pg(settings, "DELETE FROM procrastinate_jobs")
    async with transaction(sessions) as s:
        report = await seed(s)
    assert report.created == {"scoring_model": 2} and len(report.published) == 2  # 2026.3, then 2026.4 on it
    outcomes = await asyncio.to_thread(rescore_after_seed, settings, report.published)
    if BACKEND == "sqlite":
        assert [(o.mode, o.rescored) for o in outcomes] == [("skipped", 0), ("inline", 2)]
    else:
        assert [o.mode for o in outcomes] == ["skipped", "queued"]
        await asyncio.wait_for(jobs.run_worker(settings, wait=False, install_signal_handlers=False), timeout=60)
    async with sessions() as s:
        rows = {a.id: (a.status, sc.model_version, sc.result) for a, sc in (await s.execute(
            select(m.Application, m.Score).join(m.Score, m.Score.application_id == m.Application.id))).all()}
    status, version, result = rows[forger_id]
    assert (status, version) == (ApplicationStatus.FAILED, "2026.4")
    gate = next(g for g in result["gates"] if g["code"] == "no_false_documents")
    assert (gate["passed"], gate["value"], gate["reason"]) == (
        False, "true", "false documents on record is true, required false")
    assert {v[:2] for k, v in rows.items() if k != forger_id} == {(ApplicationStatus.PASSED, "2026.4")}
