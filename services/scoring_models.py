"""Scoring model versions (drafts, publishing), the model in force on a date,
scoring and storing a batch of applications, and what-if simulation."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from core.text import t
from models import Application, Score, ScoringModel
from models.base import today_almaty, utcnow
from models.enums import ApplicationStatus, ScoreReason, ScoringModelStatus
from models.types import id_in, json_from_text
from services import audit, facts, score_history, scoring
from services.errors import ErrorCode, ServiceError, UserError, forbidden, not_found
from services.rows import locked
from services.viewer import Viewer

# "Scored, undecided" (SPEC §3, what-if): the applications a new model would re-score.
SCORED_UNDECIDED = (ApplicationStatus.PASSED, ApplicationStatus.FAILED)


def status_after(result: scoring.ScoreResult) -> ApplicationStatus:
    """The status a score moves an application to."""
    return ApplicationStatus.PASSED if result.passed else ApplicationStatus.FAILED


VERSION_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$")


def _require_admin(viewer: Viewer) -> None:
    if not viewer.is_admin:
        raise forbidden(t("only administrators may change scoring models"))


def edit_refusal(model: ScoringModel) -> str | None:
    """Why ``model`` may not be changed or deleted; None for a DRAFT."""
    if model.status != ScoringModelStatus.DRAFT:
        return t("a {status} model is never edited; only a DRAFT model may be changed — create a new version",
                 status=model.status.value)
    return None


def publish_refusal(model: ScoringModel) -> str | None:
    """Why ``model`` may not be published (leaving aside a clash of effective dates); None for a DRAFT."""
    if model.status != ScoringModelStatus.DRAFT:
        return t("the model is {status}; only a DRAFT model may be published", status=model.status.value)
    return None


def definition_errors(definition: Any, *prefix: str) -> list[UserError]:
    """The definition's problems as ``INVALID_INPUT`` at their JSON paths under
    ``prefix``; a valid definition must also have a pass mark that can be
    reached (``scoring.pass_mark_problem``: on ``definition.passMark``)."""
    problems = scoring.validate_definition(definition)
    if not problems:
        unreachable = scoring.pass_mark_problem(definition)
        problems = [unreachable] if unreachable is not None else []
    return [UserError(ErrorCode.INVALID_INPUT, e.message, (*prefix, *e.path)) for e in problems]


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
                                t("version must be 1–40 letters, digits, dots, hyphens or underscores"), ("input", "version")))
    errors += definition_errors(definition, "input")
    if errors:
        raise ServiceError(errors)
    if (await session.execute(select(ScoringModel.id).where(ScoringModel.version == version))).first():
        raise ServiceError.one(ErrorCode.DUPLICATE, t("a scoring model with version {version} already exists",
                                                      version=version), ["input", "version"])
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
    model = await locked(session, ScoringModel, model_id, t("scoring model"), edit_refusal)
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
    model = await locked(session, ScoringModel, model_id, t("scoring model"), publish_refusal)
    problems = definition_errors(model.definition)  # a draft stored before a rule was added
    if problems:
        raise ServiceError.one(ErrorCode.INVALID_INPUT,
                               t("the draft cannot be published: {path}: {problem}; change the draft first",
                                 path=".".join(problems[0].field or ()), problem=problems[0].message), ["input", "id"])
    clash = (await session.execute(
        select(ScoringModel.version).where(ScoringModel.status == ScoringModelStatus.PUBLISHED,
                                           ScoringModel.effective_from == model.effective_from)
    )).scalar_one_or_none()
    if clash is not None:
        raise ServiceError.one(ErrorCode.CONFLICT,
                               t("model {version} is already published with effective date {date}", version=clash,
                                 date=model.effective_from),
                               ["input", "id"])
    model.status = ScoringModelStatus.PUBLISHED
    model.published_at = utcnow()
    try:
        await session.flush()  # the partial unique index settles a race between two publishers
    except IntegrityError:
        raise ServiceError.one(ErrorCode.CONFLICT, t("another model was published with the same effective date"),
                               ["input", "id"]) from None
    await audit.record(session, viewer, "scoring_model.publish", "scoring_model", model.id,
                       {"version": model.version, "effectiveFrom": model.effective_from})
    return model


async def delete_draft(session: AsyncSession, viewer: Viewer, *, model_id: int) -> None:
    """Delete a DRAFT model (a published one stays: scores refer to it)."""
    _require_admin(viewer)
    model = await locked(session, ScoringModel, model_id, t("scoring model"), edit_refusal)
    await session.delete(model)
    await session.flush()
    await audit.record(session, viewer, "scoring_model.delete", "scoring_model", model_id,
                       {"version": model.version, "effectiveFrom": model.effective_from})


_EVALUATORS: dict[str, scoring.Evaluator] = {}
_EVALUATORS_KEPT = 16


def evaluator_for(model: ScoringModel) -> scoring.Evaluator:
    """The memoised engine for ``model``'s definition, validated once and kept
    (by the definition's JSON text) for the next batches; ``ValueError`` when
    the stored definition is invalid."""
    try:
        key: str | None = json.dumps(model.definition)
    except (TypeError, ValueError):
        key = None
    evaluator = _EVALUATORS.get(key) if key is not None else None
    if evaluator is None:
        problems = scoring.validate_definition(model.definition)
        if problems:
            raise ValueError(f"stored scoring model {model.version} is invalid: {problems[0].path}: "
                             f"{problems[0].message}")
        evaluator = scoring.Evaluator(model.definition, validate=False)
        if key is not None:
            if len(_EVALUATORS) >= _EVALUATORS_KEPT:
                _EVALUATORS.pop(next(iter(_EVALUATORS)))
            _EVALUATORS[key] = evaluator
    return evaluator


async def evaluate_batch(
    session: AsyncSession, apps: Sequence[Application] | Sequence[int], model: ScoringModel, on: dt.date
) -> dict[int, scoring.ScoreResult]:
    """``{application id: score}`` under ``model`` on ``on`` for ``apps``
    (applications or their ids), from the facts ``services.facts.gather`` reads."""
    evaluator = evaluator_for(model)
    gathered = await facts.gather(session, apps, on)
    ids = [a if isinstance(a, int) else a.id for a in apps]
    return {i: evaluator.evaluate(gathered[i], gathered[i]["route"]) for i in ids}


class Scorable(Protocol):
    """What storing a score needs of an application: an ORM ``Application`` or a
    row with ``id`` and ``status`` (the status before scoring)."""

    @property
    def id(self) -> Any: ...

    @property
    def status(self) -> Any: ...


async def store_score(
    session: AsyncSession, viewer: Viewer, app: Application, model: ScoringModel, result: scoring.ScoreResult,
    *, action: str = "application.score", reason: ScoreReason | None = None,
) -> Score:
    """Replace the application's current score and move it to PASSED or FAILED.
    The previous score stays in the audit trail; the new one is added to the
    score history with ``reason`` (by default ``score_history.reason_for``)."""
    await store_scores(session, viewer, [app], model, {app.id: result}, action=action, reason=reason)
    return (await session.execute(select(Score).where(Score.application_id == app.id))).scalar_one()


async def record_score(
    session: AsyncSession, viewer: Viewer, app: Application, model: ScoringModel, result: scoring.ScoreResult,
    *, reason: ScoreReason,
) -> Score:
    """Store a score computed for ``reason`` (e.g. ``ScoreReason.REVIEW`` for a score
    computed again because a review overturned a decision): the current score,
    the status, the audit event and the score history row, in the caller's
    transaction."""
    return await store_score(session, viewer, app, model, result, reason=reason)


def _bind(column: Any) -> Any:
    return sa.bindparam(f"b_{column.key}", type_=column.type)


async def store_scores(
    session: AsyncSession, viewer: Viewer, apps: Sequence[Scorable], model: ScoringModel,
    results: Mapping[int, scoring.ScoreResult], *, action: str = "application.score",
    reason: ScoreReason | None = None,
) -> int:
    """``store_score`` for a batch, with Core statements and no ORM unit of work:
    one SELECT of the current scores, one UPDATE (executemany) of those and one
    INSERT of the missing ones, one UPDATE of the applications per new status
    (PASSED, FAILED), one INSERT (executemany) of the audit events and one of
    the score history rows (``reason``, or each one's ``score_history.reason_for``). The caller
    holds the applications' rows (locked for update). ORM objects of these
    applications and scores that the session holds are brought up to date.
    Returns how many were stored."""
    await session.flush()  # the caller's pending ORM changes go first
    if not apps:
        return 0
    now = utcnow()
    dialect = session.get_bind().dialect.name
    s, a = Score.__table__, Application.__table__
    ids = [app.id for app in apps]
    current = {row.application_id: row for row in (await session.execute(
        select(s.c.application_id, s.c.model_version, s.c.total, s.c.passed,
               sa.cast(s.c.result, sa.Text()).label("result"), s.c.computed_at, s.c.scoring_model_id, s.c.stale)
        .where(id_in(s.c.application_id, ids, dialect)))).all()}
    changed: list[dict[str, Any]] = []
    added: list[dict[str, Any]] = []
    passed: list[int] = []
    failed: list[int] = []
    events: list[tuple[int, str]] = []
    history: list[dict[str, Any]] = []
    texts: dict[str, str] = {}  # json.dumps of the few texts the events repeat
    reviewed = set() if reason is not None else await score_history.reviewed_since_scored(
        session, [app_id for app_id, row in current.items() if row.stale])

    def quoted(value: str) -> str:
        text = texts.get(value)
        if text is None:
            text = texts[value] = json.dumps(value)
        return text

    version = quoted(model.version)
    for app in apps:
        result = results[app.id]
        result_json, explanation_json, rendered_gates, rendered_breakdown = result.stored_texts
        row = {"b_application_id": app.id, "b_total": result.total, "b_max_total": result.max_total,
               "b_pass_mark": result.pass_mark, "b_passed": result.passed, "b_result": result_json,
               "b_explanation": explanation_json, "b_rendered_gates": rendered_gates,
               "b_rendered_breakdown": rendered_breakdown}
        old_status = app.status
        new_status = status_after(result)
        (passed if result.passed else failed).append(app.id)
        prev = current.get(app.id)
        why = reason or score_history.reason_for(prev, model.id, reviewed=app.id in reviewed)
        history.append(score_history.row(app.id, model, result, now, why))
        if prev is None:
            added.append(row)
            previous = "null"
        else:
            changed.append(row)
            previous = (f'{{"modelVersion": {quoted(prev.model_version)}, "total": {prev.total}, '
                        f'"passed": {"true" if prev.passed else "false"}, "result": {prev.result}, '
                        f'"computedAt": {quoted(prev.computed_at.isoformat())}}}')
        # The event is the JSON text of audit.plain({"status": [old, new], "modelVersion": ...,
        # "total": ..., "passed": ..., "result": the new result, "previous": None or {"modelVersion",
        # "total", "passed", "result", "computedAt"}}), the dict earlier versions recorded (key order
        # and separators of json.dumps included), written without parsing and re-encoding the
        # results: the new one's text comes from the evaluator, the stored one's from the SELECT.
        events.append((app.id, (
            f'{{"status": [{quoted(audit.plain(old_status))}, {quoted(new_status.value)}], '
            f'"modelVersion": {version}, "total": {result.total}, "passed": {"true" if result.passed else "false"}, '
            f'"result": {result_json}, "previous": {previous}}}')))
    score_values = {
        "scoring_model_id": model.id, "model_version": model.version, "total": _bind(s.c.total),
        "max_total": _bind(s.c.max_total), "pass_mark": _bind(s.c.pass_mark), "passed": _bind(s.c.passed),
        "result": json_from_text(sa.bindparam("b_result", type_=sa.Text()), dialect),
        "explanation": json_from_text(sa.bindparam("b_explanation", type_=sa.Text()), dialect),
        "rendered_gates": _bind(s.c.rendered_gates), "rendered_breakdown": _bind(s.c.rendered_breakdown),
        "computed_at": now,
        "stale": False,  # computed from the facts on file now
    }
    if changed:
        await session.execute(
            sa.update(s).where(s.c.application_id == _bind(s.c.application_id)).values(score_values), changed)
    if added:
        await session.execute(
            sa.insert(s).values(application_id=_bind(s.c.application_id), **score_values), added)
    for status, with_status in ((ApplicationStatus.PASSED, passed), (ApplicationStatus.FAILED, failed)):
        if with_status:  # set-based: one UPDATE per new status, not one per application
            await session.execute(
                sa.update(a).where(id_in(a.c.id, with_status, dialect)).values(status=status, updated_at=now))
    await audit.record_many(session, viewer, action, "application", events, at=now)
    await score_history.append(session, history)
    _refresh_held_objects(session, apps, model, results, now)
    return len(apps)


def _refresh_held_objects(session: AsyncSession, apps: Sequence[Scorable], model: ScoringModel,
                          results: Mapping[int, scoring.ScoreResult], now: dt.datetime) -> None:
    """What the Core statements wrote, set on the ORM objects the session (or the
    caller) holds, as their committed state, so none of them is left stale. Keys
    are read from the loaded state (an expired object loads afresh anyway)."""
    held: list[Any] = [app for app in apps if isinstance(app, Application)]
    held += [obj for obj in session.identity_map.values() if isinstance(obj, (Application, Score))]
    for obj in held:
        loaded = sa.inspect(obj).dict
        if isinstance(obj, Application):
            result = results.get(loaded.get("id"))  # type: ignore[arg-type]
            if result is not None:
                set_committed_value(obj, "status", status_after(result))
                set_committed_value(obj, "updated_at", now)
        else:
            result = results.get(loaded.get("application_id"))  # type: ignore[arg-type]
            if result is not None:
                for key, value in (("scoring_model_id", model.id), ("model_version", model.version),
                                   ("total", result.total), ("max_total", result.max_total),
                                   ("pass_mark", result.pass_mark), ("passed", result.passed),
                                   *result.stored().items(), ("computed_at", now), ("stale", False)):
                    set_committed_value(obj, key, value)


@dataclass(frozen=True)
class ScoreChange:
    """One application whose score the draft would change."""

    application_id: int
    total_now: int
    total_under_draft: int
    passed_now: bool
    passed_under_draft: bool


@dataclass(frozen=True)
class Simulation:
    model_version: str
    evaluated: int
    passed_now: int
    passed_under_draft: int
    newly_passing_ids: list[int]
    newly_failing_ids: list[int]
    # Every application whose total or pass would change, in id order.
    changes: list[ScoreChange] = field(default_factory=list)


async def simulate(session: AsyncSession, viewer: Viewer, model_id: int, *, on: dt.date | None = None,
                   batch_size: int = 500) -> Simulation:
    """Re-score every scored, undecided application under ``model_id``; writes nothing."""
    if not viewer.is_staff:
        raise forbidden(t("only officers and administrators may run a simulation"))
    model = await session.get(ScoringModel, model_id)
    if model is None:
        raise not_found(t("scoring model"), "modelId")
    on = on or today_almaty()
    evaluated = passed_now = passed_draft = 0
    newly_passing: list[int] = []
    newly_failing: list[int] = []
    changes: list[ScoreChange] = []
    last_id = 0
    while True:
        rows = (await session.execute(  # ids, not ORM objects: a full run must not fill the session
            select(Application.id, Score.passed, Score.total).join(Score, Score.application_id == Application.id)
            .where(Application.status.in_(SCORED_UNDECIDED), Application.id > last_id)
            .order_by(Application.id).limit(batch_size)
        )).all()
        if not rows:
            break
        results = await evaluate_batch(session, [app_id for app_id, _, _ in rows], model, on)
        for app_id, was_passed, was_total in rows:
            now_passed = results[app_id].passed
            if results[app_id].total != was_total or now_passed != bool(was_passed):
                changes.append(ScoreChange(app_id, was_total, results[app_id].total, bool(was_passed), now_passed))
            evaluated += 1
            passed_now += bool(was_passed)
            passed_draft += now_passed
            if now_passed and not was_passed:
                newly_passing.append(app_id)
            elif was_passed and not now_passed:
                newly_failing.append(app_id)
        last_id = rows[-1][0]
    return Simulation(model.version, evaluated, passed_now, passed_draft, newly_passing, newly_failing, changes)
