"""Scoring model versions (drafts, publishing), the model in force on a date,
scoring and storing a batch of applications, and what-if simulation."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import Application, Score, ScoringModel
from models.base import today_almaty, utcnow
from models.enums import ApplicationStatus, ScoringModelStatus
from services import audit, facts, scoring
from services.errors import ErrorCode, ServiceError, UserError, forbidden, invalid_state, not_found
from services.viewer import Viewer

VERSION_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$")


def _require_admin(viewer: Viewer) -> None:
    if not viewer.is_admin:
        raise forbidden("only administrators may change scoring models")


def definition_errors(definition: Any, *prefix: str) -> list[UserError]:
    return [
        UserError(ErrorCode.INVALID_INPUT, e.message, (*prefix, *e.path))
        for e in scoring.validate_definition(definition)
    ]


async def model_in_force(session: AsyncSession, on: dt.date) -> ScoringModel | None:
    """The published model with the latest ``effective_from`` not after ``on``."""
    stmt = (
        select(ScoringModel)
        .where(ScoringModel.status == ScoringModelStatus.PUBLISHED, ScoringModel.effective_from <= on)
        .order_by(ScoringModel.effective_from.desc(), ScoringModel.id.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def create_scoring_model(
    session: AsyncSession, viewer: Viewer, *, version: str, effective_from: dt.date, definition: Any
) -> ScoringModel:
    _require_admin(viewer)
    errors: list[UserError] = []
    version = version.strip()
    if not VERSION_RE.match(version):
        errors.append(UserError(ErrorCode.INVALID_INPUT,
                                "version must be 1–40 letters, digits, dots, hyphens or underscores", ("input", "version")))
    errors += definition_errors(definition, "input")
    if errors:
        raise ServiceError(errors)
    if (await session.execute(select(ScoringModel.id).where(ScoringModel.version == version))).first():
        raise ServiceError.one(ErrorCode.DUPLICATE, f"a scoring model with version {version} already exists", ["input", "version"])
    model = ScoringModel(version=version, status=ScoringModelStatus.DRAFT, effective_from=effective_from,
                         pass_mark=definition["passMark"], definition=definition, created_by=viewer.audit_subject)
    session.add(model)
    await session.flush()
    await audit.record(session, viewer, "scoring_model.create", "scoring_model", model.id,
                       {"version": version, "effectiveFrom": effective_from, "definition": definition})
    return model


async def update_draft(
    session: AsyncSession, viewer: Viewer, *, model_id: int, effective_from: dt.date, definition: Any
) -> ScoringModel:
    _require_admin(viewer)
    model = await session.get(ScoringModel, model_id, with_for_update=True)
    if model is None:
        raise not_found("scoring model", "input", "id")
    if model.status != ScoringModelStatus.DRAFT:
        raise invalid_state(f"a {model.status.value} model is never edited; only a DRAFT model may be changed — create a new version", "input", "id")
    errors = definition_errors(definition, "input")
    if errors:
        raise ServiceError(errors)
    before = {"effectiveFrom": model.effective_from, "definition": model.definition}
    model.effective_from = effective_from
    model.definition = definition
    model.pass_mark = definition["passMark"]
    await audit.record(session, viewer, "scoring_model.update", "scoring_model", model.id,
                       audit.diff(before, {"effectiveFrom": effective_from, "definition": definition}))
    return model


async def publish_scoring_model(session: AsyncSession, viewer: Viewer, *, model_id: int) -> ScoringModel:
    _require_admin(viewer)
    model = await session.get(ScoringModel, model_id, with_for_update=True)
    if model is None:
        raise not_found("scoring model", "input", "id")
    if model.status != ScoringModelStatus.DRAFT:
        raise invalid_state(f"the model is {model.status.value}; only a DRAFT model may be published", "input", "id")
    clash = (await session.execute(
        select(ScoringModel.version).where(ScoringModel.status == ScoringModelStatus.PUBLISHED,
                                           ScoringModel.effective_from == model.effective_from)
    )).scalar_one_or_none()
    if clash is not None:
        raise ServiceError.one(ErrorCode.CONFLICT,
                               f"model {clash} is already published with effective date {model.effective_from.isoformat()}",
                               ["input", "id"])
    model.status = ScoringModelStatus.PUBLISHED
    model.published_at = utcnow()
    try:
        await session.flush()  # the partial unique index settles a race between two publishers
    except IntegrityError:
        raise ServiceError.one(ErrorCode.CONFLICT, "another model was published with the same effective date",
                               ["input", "id"]) from None
    await audit.record(session, viewer, "scoring_model.publish", "scoring_model", model.id,
                       {"version": model.version, "effectiveFrom": model.effective_from})
    return model


async def evaluate_batch(
    session: AsyncSession, apps: Sequence[Application], model: ScoringModel, on: dt.date
) -> dict[int, scoring.ScoreResult]:
    gathered = await facts.gather(session, apps, on)
    problems = scoring.validate_definition(model.definition)
    if problems:
        raise ValueError(f"stored scoring model {model.version} is invalid: {problems[0].path}: {problems[0].message}")
    return {a.id: scoring.evaluate(model.definition, gathered[a.id], a.route.value, validate=False) for a in apps}


async def store_score(
    session: AsyncSession, viewer: Viewer, app: Application, model: ScoringModel, result: scoring.ScoreResult,
    *, action: str = "application.score",
) -> Score:
    """Replace the application's current score and move it to PASSED or FAILED.
    The previous score stays in the audit trail."""
    return (await store_scores(session, viewer, [app], model, {app.id: result}, action=action))[app.id]


async def store_scores(
    session: AsyncSession, viewer: Viewer, apps: Sequence[Application], model: ScoringModel,
    results: dict[int, scoring.ScoreResult], *, action: str = "application.score",
) -> dict[int, Score]:
    """``store_score`` for a batch: one SELECT of the current scores, and the
    updates and audit events written together at the end (a few round trips per
    batch, not per application)."""
    now = utcnow()
    current = {
        s.application_id: s for s in (await session.execute(
            select(Score).where(Score.application_id.in_([a.id for a in apps])))).scalars()
    }
    stored: dict[int, Score] = {}
    for app in apps:
        result = results[app.id]
        result_json = result.to_json()
        score = current.get(app.id)
        previous = None
        if score is None:
            score = Score(application_id=app.id, scoring_model_id=model.id, model_version=model.version,
                          total=result.total, max_total=result.max_total, pass_mark=result.pass_mark,
                          passed=result.passed, result=result_json, computed_at=now)
            session.add(score)
        else:
            previous = {"modelVersion": score.model_version, "total": score.total, "passed": score.passed,
                        "result": score.result, "computedAt": score.computed_at}
            score.scoring_model_id = model.id
            score.model_version = model.version
            score.total = result.total
            score.max_total = result.max_total
            score.pass_mark = result.pass_mark
            score.passed = result.passed
            score.result = result_json
            score.computed_at = now
        old_status = app.status
        app.status = ApplicationStatus.PASSED if result.passed else ApplicationStatus.FAILED
        app.updated_at = now
        await audit.record(session, viewer, action, "application", app.id, {
            "status": [old_status, app.status], "modelVersion": model.version, "total": result.total,
            "passed": result.passed, "result": result_json, "previous": previous,
        })
        stored[app.id] = score
    await session.flush()
    return stored


@dataclass(frozen=True)
class Simulation:
    model_version: str
    evaluated: int
    passed_now: int
    passed_under_draft: int
    newly_passing_ids: list[int]
    newly_failing_ids: list[int]


async def simulate(session: AsyncSession, viewer: Viewer, model_id: int, *, on: dt.date | None = None,
                   batch_size: int = 500) -> Simulation:
    """Re-score every scored, undecided application under ``model_id``; writes nothing."""
    if not viewer.is_staff:
        raise forbidden("only officers and administrators may run a simulation")
    model = await session.get(ScoringModel, model_id)
    if model is None:
        raise not_found("scoring model", "modelId")
    on = on or today_almaty()
    evaluated = passed_now = passed_draft = 0
    newly_passing: list[int] = []
    newly_failing: list[int] = []
    last_id = 0
    while True:
        rows = (await session.execute(
            select(Application, Score.passed).join(Score, Score.application_id == Application.id)
            .where(Application.status.in_((ApplicationStatus.PASSED, ApplicationStatus.FAILED)), Application.id > last_id)
            .order_by(Application.id).limit(batch_size)
        )).all()
        if not rows:
            break
        apps = [r[0] for r in rows]
        results = await evaluate_batch(session, apps, model, on)
        for app, was_passed in rows:
            now_passed = results[app.id].passed
            evaluated += 1
            passed_now += bool(was_passed)
            passed_draft += now_passed
            if now_passed and not was_passed:
                newly_passing.append(app.id)
            elif was_passed and not now_passed:
                newly_failing.append(app.id)
        last_id = apps[-1].id
    return Simulation(model.version, evaluated, passed_now, passed_draft, newly_passing, newly_failing)
