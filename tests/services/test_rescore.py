"""Re-scoring every scored, undecided application after a model is published:
``services.rescore`` (batches, idempotent reruns), ``services.jobs`` (procrastinate
on PostgreSQL, inline on SQLite) and ``qonys rescore`` / ``qonys worker``.

The kill tests run the re-scoring in a subprocess whose ``store_scores`` is
wrapped to stall in the middle of the second batch — after the first batch has
committed and while the second one (and, when batches run side by side, the
third) has written (and flushed) its scores in its open transaction — then
SIGKILL it, check that nothing is half-scored, and rerun."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Text, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.settings import Settings
from models import (
    Applicant,
    Application,
    AuditEvent,
    Check,
    CheckType,
    Interview,
    LanguageTest,
    Questionnaire,
    Region,
    Score,
    ScoringModel,
)
from models.base import today_almaty, utcnow
from core.db import transaction
from models.enums import (
    ApplicationStatus,
    CheckStatus,
    EducationLevel,
    InterviewOutcome,
    LanguageLevel,
    Proficiency,
    Route,
    Sex,
)
from services import audit, jobs, rescore
from services.default_model import DEFAULT_MODEL_VERSION, default_model_definition
from services.scoring import stored_score
from services.errors import ErrorCode, ServiceError
from services.scoring_models import (
    create_scoring_model,
    evaluate_batch,
    publish_scoring_model,
    store_score,
    store_scores,
)
from services.viewer import SYSTEM
from tests.conftest import BACKEND, TEST_SECRET

N = 60
NEW_VERSION = "2026.5"  # 2026.2 is the seeded default
ROOT = Path(__file__).resolve().parents[2]
Sessions = async_sessionmaker[AsyncSession]

pg_only = pytest.mark.skipif(BACKEND != "postgres", reason="procrastinate jobs need PostgreSQL")


# ----------------------------------------------------------------------------- data


LEVELS = list(LanguageLevel)
EDUCATION = list(EducationLevel)
PROFICIENCY = list(Proficiency)


async def _populate(session: AsyncSession, n: int) -> dict[str, list[int]]:
    """``n`` applications scored under the seeded model (PASSED or FAILED), plus
    one SUBMITTED and one APPROVED application that re-scoring must not touch."""
    regions = list((await session.execute(select(Region).order_by(Region.code))).scalars())
    check_types = list((await session.execute(select(CheckType).where(CheckType.active))).scalars())
    model = (await session.execute(
        select(ScoringModel).where(ScoringModel.version == DEFAULT_MODEL_VERSION))).scalar_one()
    now = utcnow()
    routes = [(Route.KANDAS, Route.GENERAL, Route.LABOUR)[i % 3] for i in range(n + 2)]
    applicants = [
        Applicant(full_name=f"Rescore Applicant {i}", birth_date=dt.date(1962 + i % 42, 1 + i % 12, 1 + i % 27),
                  sex=Sex.FEMALE if i % 2 else Sex.MALE, citizenship="UZB", ethnic_kazakh=route == Route.KANDAS,
                  document_number=f"RS{i:07d}")
        for i, route in enumerate(routes)
    ]
    session.add_all(applicants)
    await session.flush()
    apps = [
        Application(number=f"RS-2026-{i:06d}", applicant_id=applicant.id, route=routes[i],
                    target_region_id=regions[i % len(regions)].id, status=ApplicationStatus.SUBMITTED,
                    citizenship="UZB", document_number=applicant.document_number,
                    submitted_at=now - dt.timedelta(days=40), due_date=today_almaty() + dt.timedelta(days=5))
        for i, applicant in enumerate(applicants)
    ]
    session.add_all(apps)
    await session.flush()
    for i, app in enumerate(apps):
        session.add(LanguageTest(application_id=app.id, level=LEVELS[i % len(LEVELS)], listening_percent=30 + i % 60,
                                 reading_percent=25 + (i * 7) % 70, certificate_number=f"RS-CERT-{i:06d}",
                                 taken_on=today_almaty() - dt.timedelta(days=60)))
        session.add(Questionnaire(
            application_id=app.id, education_level=EDUCATION[i % len(EDUCATION)], work_experience_years=i % 15,
            family_size=1 + i % 5, russian=PROFICIENCY[i % 3], english=PROFICIENCY[(i // 3) % 3],
            relatives_in_kazakhstan=i % 2 == 0, prior_stay_in_kazakhstan=i % 4 == 0, criminal_record=False,
            deported_before=i % 17 == 0, savings=Decimal(500_000 + i * 250_000)))
        for ct in check_types:
            session.add(Check(application_id=app.id, check_type_id=ct.id,
                              status=CheckStatus.FLAGGED if i % 13 == 5 and ct.mandatory else CheckStatus.CLEARED,
                              requested_at=now - dt.timedelta(days=30), completed_at=now - dt.timedelta(days=20),
                              updated_at=now - dt.timedelta(days=20)))
        session.add(Interview(application_id=app.id, scheduled_at=now - dt.timedelta(days=10),
                              outcome=InterviewOutcome.NO_SHOW if i % 11 == 3 else InterviewOutcome.PASSED,
                              points=i % 11, recorded_at=now - dt.timedelta(days=10)))
    await session.flush()
    scored, submitted = apps[:-1], apps[-1]
    results = await evaluate_batch(session, scored, model, today_almaty())
    for app in scored:
        await store_score(session, SYSTEM, app, model, results[app.id])
    decided = scored[-1]
    decided.status = ApplicationStatus.APPROVED
    decided.decided_at = now
    await session.flush()
    return {"candidates": [a.id for a in scored[:-1]], "decided": [decided.id], "submitted": [submitted.id]}


def _new_definition() -> dict[str, Any]:
    definition = default_model_definition()
    definition["passMark"] = 350
    for criterion in definition["criteria"]:
        if criterion["code"] == "kazakh":
            criterion["points"] = {"A1": 70, "A2": 110, "B1": 140, "B2": 160, "C1": 180}
    return definition


async def _publish(sessions: Sessions, version: str = NEW_VERSION, effective_from: dt.date | None = None,
                   publish: bool = True) -> int:
    async with transaction(sessions) as s:
        model = await create_scoring_model(s, SYSTEM, version=version, effective_from=effective_from or today_almaty(),
                                           definition=_new_definition())
        if publish:
            await publish_scoring_model(s, SYSTEM, model_id=model.id)
        return model.id


@pytest.fixture
async def population(sessions: Sessions) -> dict[str, list[int]]:
    async with transaction(sessions) as s:
        return await _populate(s, N)


@pytest.fixture
async def new_model(sessions: Sessions, population: dict[str, list[int]]) -> int:
    return await _publish(sessions)


# ----------------------------------------------------------------------------- checks


async def _state(sessions: Sessions) -> dict[int, tuple[ApplicationStatus, str, bool, int]]:
    """``{application id: (status, score's model version, score passed, rescore audit events)}``."""
    async with sessions() as s:
        rows = (await s.execute(
            select(Application.id, Application.status, Score.model_version, Score.passed)
            .join(Score, Score.application_id == Application.id))).all()
        audits = Counter(dict((await s.execute(
            select(AuditEvent.entity_id, func.count()).where(AuditEvent.action == rescore.RESCORE_ACTION)
            .group_by(AuditEvent.entity_id))).all()))
    return {r[0]: (r[1], r[2], r[3], audits.get(r[0], 0)) for r in rows}


def _assert_consistent(state: dict[int, tuple[ApplicationStatus, str, bool, int]], population: dict[str, list[int]],
                       *, all_new: bool) -> int:
    """Nothing is half-scored; returns how many candidates are under the new model."""
    under_new = 0
    for app_id in population["candidates"]:
        status, version, passed, audits = state[app_id]
        assert status == (ApplicationStatus.PASSED if passed else ApplicationStatus.FAILED), (app_id, state[app_id])
        assert version in (DEFAULT_MODEL_VERSION, NEW_VERSION), version
        assert audits == (1 if version == NEW_VERSION else 0), (app_id, state[app_id])
        under_new += version == NEW_VERSION
    for app_id in population["decided"]:
        assert state[app_id] == (ApplicationStatus.APPROVED, DEFAULT_MODEL_VERSION, state[app_id][2], 0)
    assert all(app_id not in state for app_id in population["submitted"])
    if all_new:
        assert under_new == len(population["candidates"])
    return under_new


async def _assert_scores_match_new_model(sessions: Sessions) -> None:
    async with sessions() as s:
        model = (await s.execute(select(ScoringModel).where(ScoringModel.version == NEW_VERSION))).scalar_one()
        apps = list((await s.execute(
            select(Application).join(Score, Score.application_id == Application.id)
            .where(Score.model_version == NEW_VERSION).order_by(Application.id))).scalars())
        expected = await evaluate_batch(s, apps, model, today_almaty())
        stored = {sc.application_id: sc for sc in (await s.execute(select(Score))).scalars()}
    assert apps
    for app in apps:
        assert stored[app.id].total == expected[app.id].total
        assert stored[app.id].passed == expected[app.id].passed
        assert stored[app.id].scoring_model_id == model.id
        assert stored_score(stored[app.id].result, stored[app.id].explanation) == expected[app.id].to_json()


# ----------------------------------------------------------------------------- the service


async def test_rescore_all_scores_every_application_once_under_the_new_model(
        sessions: Sessions, population: dict[str, list[int]], new_model: int) -> None:
    before = _assert_consistent(await _state(sessions), population, all_new=False)
    assert before == 0
    seen: list[tuple[int, int]] = []
    n = await rescore.rescore_all(sessions, SYSTEM, model_id=None, batch_size=7,
                                  progress=lambda done, total: seen.append((done, total)))
    assert n == N
    assert seen[0] == (0, N) and seen[-1] == (N, N) and len(seen) == 1 + -(-N // 7)
    _assert_consistent(await _state(sessions), population, all_new=True)
    await _assert_scores_match_new_model(sessions)
    # The new model changes some outcomes (a lower pass mark, more points for Kazakh).
    async with sessions() as s:
        events = list((await s.execute(
            select(AuditEvent).where(AuditEvent.action == rescore.RESCORE_ACTION))).scalars())
    assert {e.actor_role for e in events} == {"SYSTEM"}
    assert all(e.changes["previous"]["modelVersion"] == DEFAULT_MODEL_VERSION for e in events)
    assert any(e.changes["status"] == ["FAILED", "PASSED"] for e in events)

    # (b) a rerun changes nothing
    assert await rescore.rescore_all(sessions, SYSTEM, model_id=new_model, batch_size=500) == 0
    _assert_consistent(await _state(sessions), population, all_new=True)


async def test_the_audit_events_of_a_rescore_keep_their_content(
        sessions: Sessions, population: dict[str, list[int]], new_model: int) -> None:
    """Each event holds the status [old, new], the new score and the previous one,
    exactly as when the events were built as dicts (``audit.record``)."""
    async with sessions() as s:
        before = {sc.application_id: sc for sc in (await s.execute(select(Score))).scalars()}
        statuses = dict((await s.execute(select(Application.id, Application.status))).all())
    assert await rescore.rescore_all(sessions, SYSTEM, model_id=None, batch_size=7) == N
    async with sessions() as s:
        after = {sc.application_id: sc for sc in (await s.execute(select(Score))).scalars()}
        events = list((await s.execute(
            select(AuditEvent).where(AuditEvent.action == rescore.RESCORE_ACTION).order_by(AuditEvent.id))).scalars())
        texts = dict((await s.execute(select(AuditEvent.id, cast(AuditEvent.changes, Text)))).all())
    assert sorted(e.entity_id for e in events) == population["candidates"]
    for e in events:
        old, new = before[e.entity_id], after[e.entity_id]
        assert (e.entity_type, e.actor_subject, e.actor_role) == ("application", SYSTEM.audit_subject, SYSTEM.role)
        expected = audit.plain({
            "status": [statuses[e.entity_id], ApplicationStatus.PASSED if new.passed else ApplicationStatus.FAILED],
            "modelVersion": NEW_VERSION, "total": new.total, "passed": new.passed, "result": new.result,
            "previous": {"modelVersion": old.model_version, "total": old.total, "passed": old.passed,
                         "result": old.result, "computedAt": old.computed_at},
        })
        assert e.changes == expected
        if BACKEND == "sqlite":  # JSON is text there: the very text the JSON column wrote from the dict
            assert texts[e.id] == json.dumps(expected)


async def test_a_batch_mixing_applications_with_and_without_a_score(
        sessions: Sessions, population: dict[str, list[int]], new_model: int) -> None:
    """``store_scores`` updates the scores that exist and inserts the missing ones
    in one batch, and the ORM objects the session holds are not left stale."""
    on = today_almaty()
    scored_ids = population["candidates"][:3]
    unscored_id = population["submitted"][0]
    async with transaction(sessions) as s:
        model = await s.get(ScoringModel, new_model)
        assert model is not None
        apps = list((await s.execute(select(Application).where(Application.id.in_([*scored_ids, unscored_id]))
                                     .order_by(Application.id).with_for_update())).scalars())
        held_score = (await s.execute(select(Score).where(Score.application_id == scored_ids[0]))).scalar_one()
        old_total, old_version = held_score.total, held_score.model_version
        before = {a.id: a.status for a in apps}
        results = await evaluate_batch(s, apps, model, on)
        assert await store_scores(s, SYSTEM, apps, model, results, action="application.score") == 4
        for app in apps:  # the caller's objects show what was written, without a refresh
            assert app.status == (ApplicationStatus.PASSED if results[app.id].passed else ApplicationStatus.FAILED)
            assert not s.is_modified(app)
        assert (held_score.model_version, held_score.scoring_model_id) == (NEW_VERSION, new_model)
        assert stored_score(held_score.result, held_score.explanation) == results[scored_ids[0]].to_json()
        assert not s.is_modified(held_score)
        single = await store_score(s, SYSTEM, apps[-1], model, results[apps[-1].id])  # again: now an update
        assert (single.application_id, single.model_version, single.total) == (
            apps[-1].id, NEW_VERSION, results[apps[-1].id].total)
    async with sessions() as s:
        stored = {sc.application_id: sc for sc in (await s.execute(
            select(Score).where(Score.application_id.in_([*scored_ids, unscored_id])))).scalars()}
        statuses = dict((await s.execute(select(Application.id, Application.status)
                                         .where(Application.id.in_([*scored_ids, unscored_id])))).all())
        events = list((await s.execute(select(AuditEvent).where(
            AuditEvent.action == "application.score", AuditEvent.entity_id.in_([*scored_ids, unscored_id]))
            .order_by(AuditEvent.id))).scalars())
    assert set(stored) == {*scored_ids, unscored_id}
    for app_id, score in stored.items():
        result = results[app_id]
        assert (score.scoring_model_id, score.model_version, score.total, score.max_total, score.pass_mark,
                score.passed, stored_score(score.result, score.explanation)) == (new_model, NEW_VERSION, result.total, result.max_total,
                                                result.pass_mark, result.passed, result.to_json())
        assert statuses[app_id] == (ApplicationStatus.PASSED if result.passed else ApplicationStatus.FAILED)
    # the scores written at submission (populate) came first; then this batch and the single re-store
    batch_events = {e.entity_id: e.changes for e in events[-5:-1]}
    assert batch_events[unscored_id]["previous"] is None
    assert batch_events[unscored_id]["status"] == ["SUBMITTED", statuses[unscored_id].value]
    assert batch_events[scored_ids[0]]["previous"]["modelVersion"] == old_version == DEFAULT_MODEL_VERSION
    assert batch_events[scored_ids[0]]["previous"]["total"] == old_total
    assert all(batch_events[i]["status"][0] == before[i].value for i in scored_ids)
    assert events[-1].entity_id == unscored_id and events[-1].changes["previous"]["modelVersion"] == NEW_VERSION


async def test_batches_side_by_side_rescore_each_application_once(
        sessions: Sessions, population: dict[str, list[int]], new_model: int) -> None:
    candidates = population["candidates"]
    async with sessions() as s:
        bounds = await rescore.batch_bounds(s, new_model, 7)
        assert bounds == candidates[6::7]
        assert await rescore.batch_bounds(s, new_model, 7, after_id=candidates[2], until_id=candidates[20]) == \
            candidates[3:21][6::7]
    seen: list[tuple[int, int]] = []
    n = await rescore.rescore_all(sessions, SYSTEM, model_id=None, batch_size=7, concurrency=3,
                                  progress=lambda done, total: seen.append((done, total)))
    assert n == N
    assert seen[0] == (0, N) and seen[-1] == (N, N) and len(seen) == 1 + -(-N // 7)
    assert [done for done, _ in seen] == sorted({done for done, _ in seen})  # committed totals only grow
    _assert_consistent(await _state(sessions), population, all_new=True)
    await _assert_scores_match_new_model(sessions)
    assert await rescore.rescore_all(sessions, SYSTEM, model_id=None, batch_size=7, concurrency=3) == 0
    with pytest.raises(ServiceError) as bad:
        await rescore.rescore_all(sessions, SYSTEM, model_id=None, concurrency=0)
    assert bad.value.errors[0].code == ErrorCode.INVALID_INPUT


async def test_rescore_batch_skips_what_is_already_under_the_model(
        sessions: Sessions, population: dict[str, list[int]], new_model: int) -> None:
    on = today_almaty()
    async with transaction(sessions) as s:
        count, last = await rescore.rescore_batch(s, SYSTEM, model_id=new_model, after_id=0, limit=10, on=on)
    assert count == 10 and last == population["candidates"][9]
    async with transaction(sessions) as s:  # from the start again: the first ten are skipped
        count, last = await rescore.rescore_batch(s, SYSTEM, model_id=new_model, after_id=0, limit=5, on=on)
    assert count == 5 and last == population["candidates"][14]
    async with transaction(sessions) as s:  # a bounded range
        count, last = await rescore.rescore_batch(s, SYSTEM, model_id=new_model, after_id=0, limit=100, on=on,
                                                  until_id=population["candidates"][19])
    assert count == 5 and last == population["candidates"][19]
    async with transaction(sessions) as s:
        assert await rescore.rescore_batch(s, SYSTEM, model_id=new_model, after_id=last, limit=100, on=on,
                                           until_id=last) == (0, None)
    assert _assert_consistent(await _state(sessions), population, all_new=False) == 20


async def test_rescore_refuses_a_model_that_is_not_the_one_in_force(
        sessions: Sessions, population: dict[str, list[int]], new_model: int) -> None:
    with pytest.raises(ServiceError) as missing:
        await rescore.rescore_all(sessions, SYSTEM, model_id=987654)
    assert [(e.code, e.message) for e in missing.value.errors] == [
        (ErrorCode.NOT_FOUND, "scoring model 987654 does not exist")]
    async with sessions() as s:
        old = (await s.execute(select(ScoringModel.id).where(ScoringModel.version == DEFAULT_MODEL_VERSION))).scalar_one()
    with pytest.raises(ServiceError) as superseded:
        await rescore.rescore_all(sessions, SYSTEM, model_id=old)
    assert superseded.value.errors[0].code == ErrorCode.INVALID_STATE
    assert f"{NEW_VERSION} is in force" in superseded.value.errors[0].message
    draft = await _publish(sessions, "2027.0-draft", publish=False)
    with pytest.raises(ServiceError) as is_draft:
        await rescore.rescore_all(sessions, SYSTEM, model_id=draft)
    assert "DRAFT" in is_draft.value.errors[0].message
    future = await _publish(sessions, "2027.1", effective_from=today_almaty() + dt.timedelta(days=30))
    with pytest.raises(ServiceError) as not_yet:
        await rescore.rescore_all(sessions, SYSTEM, model_id=future)
    assert "takes effect on" in not_yet.value.errors[0].message
    with pytest.raises(ServiceError) as version:
        async with sessions() as s:
            await rescore.model_by_version(s, "9.9")
    assert version.value.errors[0].code == ErrorCode.NOT_FOUND
    # nothing was written
    assert _assert_consistent(await _state(sessions), population, all_new=False) == 0


async def test_a_run_stops_when_its_model_is_replaced_halfway(
        sessions: Sessions, population: dict[str, list[int]]) -> None:
    await _publish(sessions, effective_from=today_almaty() - dt.timedelta(days=1))
    first_batch = asyncio.Event()

    def progress(done: int, total: int) -> None:
        if done:
            first_batch.set()

    run = asyncio.create_task(rescore.rescore_all(sessions, SYSTEM, model_id=None, batch_size=10, pause=0.5,
                                                  progress=progress))
    await asyncio.wait_for(first_batch.wait(), timeout=20)
    await _publish(sessions, "2026.9", effective_from=today_almaty())  # between two batches
    with pytest.raises(ServiceError) as replaced:
        await run
    assert replaced.value.errors[0].code == ErrorCode.INVALID_STATE
    assert f"{NEW_VERSION} was replaced by 2026.9" in replaced.value.errors[0].message
    done = _assert_consistent(await _state(sessions), population, all_new=False)
    assert 10 <= done < N and done % 10 == 0


async def test_after_publish_on_sqlite_rescores_inline(
        settings: Settings, sessions: Sessions, population: dict[str, list[int]]) -> None:
    if not settings.is_sqlite:
        pytest.skip("the inline path is SQLite's")
    model_id = await _publish(sessions)
    outcome = await jobs.after_publish(settings, model_id, sessions=sessions)
    assert (outcome.mode, outcome.rescored) == ("inline", N)
    _assert_consistent(await _state(sessions), population, all_new=True)
    again = await jobs.after_publish(settings, model_id)  # its own engine this time
    assert (again.mode, again.rescored) == ("inline", 0)
    later = await _publish(sessions, "2027.1", effective_from=today_almaty() + dt.timedelta(days=3))
    outcome = await jobs.after_publish(settings, later, sessions=sessions)
    assert outcome.mode == "skipped" and "takes effect on" in outcome.message
    outcome = await jobs.enqueue_rescore(settings, sessions=sessions)
    assert (outcome.mode, outcome.rescored) == ("inline", 0)


# ----------------------------------------------------------------------------- killed halfway


STALL_SCRIPT = r"""
import asyncio, sys
import services.rescore as r

batch = int(sys.argv[1])
original_store, original_run = r.store_scores, r.rescore_all
calls = 0
committed = asyncio.Event()  # a batch has committed (re-scoring may run batches side by side)

async def store_then_stall(session, *args, **kwargs):
    global calls
    calls += 1
    call = calls
    stored = await original_store(session, *args, **kwargs)
    if call >= 2:  # the second batch (and any after it) written, not committed
        await session.flush()
        await committed.wait()  # the first one has committed (a batch running beside it stalls too)
        if call == 2:
            print("STALLED", flush=True)
        await asyncio.sleep(120)
    return stored

async def run_noting_commits(*args, progress=None, **kwargs):
    def noted(done, total):
        if done:
            committed.set()
        if progress:
            progress(done, total)
    return await original_run(*args, progress=noted, **kwargs)

r.store_scores = store_then_stall
r.rescore_all = run_noting_commits
from cli.main import app
app(sys.argv[2:], prog_name="qonys")
"""


def _env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QONYS_")}
    env.update(QONYS_DATABASE_URL=database_url, QONYS_SECRET_KEY=TEST_SECRET, PYTHONPATH=str(ROOT),
               QONYS_TODAY=today_almaty().isoformat(),  # the tests' "today" (conftest)
               COLUMNS="120", NO_COLOR="1")
    return env


async def _run_and_kill_when_stalled(database_url: str, batch: int, *argv: str, tmp_path: Path) -> str:
    log = tmp_path / "stall.log"
    with log.open("wb") as stderr:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", STALL_SCRIPT, str(batch), *argv, cwd=ROOT, env=_env(database_url),
            stdout=asyncio.subprocess.PIPE, stderr=stderr)
        try:
            assert proc.stdout is not None
            while True:
                line = await asyncio.wait_for(proc.stdout.readline(), timeout=30)
                if not line:
                    raise AssertionError(f"the subprocess ended before stalling: {log.read_text()}")
                if line.strip() == b"STALLED":
                    break
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGKILL)
            await proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return log.read_text()


async def test_killed_halfway_leaves_nothing_half_scored_and_the_rerun_finishes(
        database_url: str, sessions: Sessions, population: dict[str, list[int]], new_model: int,
        tmp_path: Path) -> None:
    batch = 5
    await _run_and_kill_when_stalled(database_url, batch, "rescore", "--inline", "--batch-size", str(batch),
                                     tmp_path=tmp_path)
    # The first batch committed; the second, killed with two scores written, left nothing.
    assert _assert_consistent(await _state(sessions), population, all_new=False) == batch
    n = await rescore.rescore_all(sessions, SYSTEM, model_id=None, batch_size=batch)
    assert n == N - batch
    _assert_consistent(await _state(sessions), population, all_new=True)
    await _assert_scores_match_new_model(sessions)


# ----------------------------------------------------------------------------- the CLI


async def _qonys(database_url: str, *argv: str) -> tuple[int, str]:
    """``qonys ARGV`` in-process (in a thread, since the command runs its own event
    loop): exit code and output (stdout and stderr)."""
    from typer.testing import CliRunner

    from cli.main import app

    result = await asyncio.to_thread(CliRunner().invoke, app, list(argv),
                                     env={"QONYS_DATABASE_URL": database_url, "COLUMNS": "200"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


async def test_cli_rescore(database_url: str, sessions: Sessions, population: dict[str, list[int]],
                           new_model: int) -> None:
    code, out = await _qonys(database_url, "rescore", "--model-version", "nope")
    assert (code, out.strip()) == (1, "error: no scoring model has version 'nope'")
    code, out = await _qonys(database_url, "rescore", "--inline", "--batch-size", "25")
    assert (code, out.strip()) == (0, f"re-scored {N} application(s) under model {NEW_VERSION}"), out
    _assert_consistent(await _state(sessions), population, all_new=True)


def test_cli_worker_needs_postgres_and_a_reachable_database(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cli.main import app

    runner = CliRunner()
    result = runner.invoke(app, ["worker"], env={"QONYS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/qonys.db"})
    assert result.exit_code == 2 and "workers need PostgreSQL" in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1
    result = runner.invoke(app, ["worker", "--once"],
                           env={"QONYS_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/qonys"})
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit), result
    assert result.output.strip().startswith("error: cannot reach the database"), result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


# ----------------------------------------------------------------------------- procrastinate (PostgreSQL)


def test_conninfo_from_the_asyncpg_url() -> None:
    from psycopg.conninfo import conninfo_to_dict

    cfg = Settings(database_url="postgresql+asyncpg://app:s%40cret@db.example:6543/qonys?ssl=require",
                   secret_key=TEST_SECRET)
    info = conninfo_to_dict(jobs.conninfo(cfg))
    assert info["host"] == "db.example" and info["port"] == "6543" and info["dbname"] == "qonys"
    assert info["user"] == "app" and info["password"] == "s@cret" and info["sslmode"] == "require"
    assert info["options"] == "-c search_path=procrastinate"


async def _pg(settings: Settings, sql: str) -> None:
    import psycopg

    async with await psycopg.AsyncConnection.connect(jobs.conninfo(settings), autocommit=True) as conn:
        await conn.execute(sql)


@pytest.fixture
async def job_queue(settings: Settings) -> None:
    """procrastinate's schema, with no job, worker or event left by an earlier test
    (the PostgreSQL test database is reused; its reset covers the public schema only)."""
    await jobs.ensure_schema(settings)
    await _pg(settings, "DELETE FROM procrastinate_periodic_defers; DELETE FROM procrastinate_events; "
                        "DELETE FROM procrastinate_jobs; DELETE FROM procrastinate_workers")


@pg_only
async def test_the_job_schema_is_created_once_in_its_own_schema(settings: Settings) -> None:
    await _pg(settings, f"DROP SCHEMA IF EXISTS {jobs.SCHEMA} CASCADE")
    created = await asyncio.gather(*(jobs.ensure_schema(settings) for _ in range(3)))  # several workers start
    assert sorted(created) == [False, False, True]
    assert await jobs.ensure_schema(settings) is False
    import psycopg

    async with await psycopg.AsyncConnection.connect(jobs.conninfo(settings)) as conn:
        cur = await conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                                 "AND tablename LIKE 'procrastinate%'")
        assert (await cur.fetchone()) == (0,)  # Alembic's schema is left alone


@pg_only
async def test_jobs_rescore_every_application_once(
        settings: Settings, sessions: Sessions, population: dict[str, list[int]], new_model: int,
        job_queue: None) -> None:
    outcome = await jobs.enqueue_rescore(settings, sessions=sessions, chunk_ids=16)
    chunks = len({(i - 1) // 16 for i in population["candidates"]})
    assert (outcome.mode, outcome.jobs) == ("queued", chunks) and chunks > 1
    again = await jobs.enqueue_rescore(settings, sessions=sessions, chunk_ids=16)
    assert again.jobs == 0 and f"{chunks} more already waiting" in again.message  # queueing locks
    assert await jobs.queue_counts(settings) == {"todo": chunks}
    await asyncio.wait_for(jobs.run_worker(settings, concurrency=2, wait=False, batch_size=7,
                                           install_signal_handlers=False), timeout=30)
    assert await jobs.queue_counts(settings) == {}  # done and deleted
    _assert_consistent(await _state(sessions), population, all_new=True)
    await _assert_scores_match_new_model(sessions)
    outcome = await jobs.enqueue_rescore(settings, sessions=sessions)
    assert outcome.jobs == 0 and "already scored under model" in outcome.message


@pg_only
async def test_after_publish_queues_the_rescoring_on_postgres(
        settings: Settings, sessions: Sessions, population: dict[str, list[int]], job_queue: None) -> None:
    later = await _publish(sessions, "2027.1", effective_from=today_almaty() + dt.timedelta(days=3))
    outcome = await jobs.after_publish(settings, later)
    assert outcome.mode == "scheduled"
    model_id = await _publish(sessions)
    outcome = await jobs.after_publish(settings, model_id)
    assert outcome.mode == "queued"
    await asyncio.wait_for(jobs.run_worker(settings, wait=False, install_signal_handlers=False), timeout=30)
    _assert_consistent(await _state(sessions), population, all_new=True)
    # the future model's job waits for its date
    assert await jobs.queue_counts(settings) == {"todo": 1}


@pg_only
async def test_a_killed_worker_leaves_nothing_half_scored_and_the_next_finishes(
        database_url: str, settings: Settings, sessions: Sessions, population: dict[str, list[int]],
        new_model: int, job_queue: None, tmp_path: Path) -> None:
    batch = 5
    outcome = await jobs.enqueue_rescore(settings, sessions=sessions)
    assert outcome.jobs == 1
    await _run_and_kill_when_stalled(database_url, batch, "worker", "--once", "--batch-size", str(batch),
                                     tmp_path=tmp_path)
    assert _assert_consistent(await _state(sessions), population, all_new=False) == batch
    assert await jobs.queue_counts(settings) == {"doing": 1}  # left behind by the dead worker
    await asyncio.sleep(1.2)
    await asyncio.wait_for(jobs.run_worker(settings, wait=False, batch_size=batch, stalled_after=1,
                                           install_signal_handlers=False), timeout=30)
    assert await jobs.queue_counts(settings) == {}
    _assert_consistent(await _state(sessions), population, all_new=True)
    await _assert_scores_match_new_model(sessions)


@pg_only
async def test_cli_rescore_queues_jobs_on_postgres(
        database_url: str, settings: Settings, sessions: Sessions, population: dict[str, list[int]],
        new_model: int, job_queue: None) -> None:
    code, out = await _qonys(database_url, "rescore")
    assert code == 0, out
    assert out.strip() == f"queued 1 job(s) to re-score {N} application(s) under model {NEW_VERSION}; " \
                          "`qonys worker` processes them"
    code, out = await _qonys(database_url, "worker", "--once")
    assert code == 0, out
    _assert_consistent(await _state(sessions), population, all_new=True)
