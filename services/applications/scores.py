"""Scoring an application once every stage is done (``scoreApplication``,
under the published model in force), and a score gone stale: a stage write
that changes a fact of a scored application marks its score stale and moves it
back to SUBMITTED (:func:`mark_score_stale`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.text import TextList, t
from models import Application, Check, CheckType, Interview, LanguageTest, Questionnaire, Score
from models.base import today_almaty, utcnow
from models.enums import CheckStatus, ScoreReason
from services import audit, facts, scoring_models
from services.applications.common import APPLICATION_ID, load_application, require_staff
from services.applications.status import LEADS_TO, S, move, require_status
from services.errors import invalid_state
from services.viewer import Viewer


async def facts_before_write(session: AsyncSession, app: Application) -> dict[str, Any] | None:
    """The facts of a scored, undecided application, taken before a stage write
    that may change them (None when the application is not PASSED or FAILED).
    Call it before changing any row, then :func:`mark_score_stale`."""
    if app.status not in scoring_models.SCORED_UNDECIDED:
        return None
    return (await facts.gather(session, [app.id], today_almaty())).get(app.id)


async def mark_score_stale(session: AsyncSession, viewer: Viewer, app: Application,
                           before: dict[str, Any] | None) -> None:
    """After a stage write (flushed): when a fact the score was computed from has
    changed (``services.facts`` gives other values than ``before``), the score is
    marked stale and the application goes back to SUBMITTED, in the caller's
    transaction, with an ``application.score_stale`` audit event naming the facts.
    A write that changes no fact (the same answers again, notes, details, a
    certificate number) leaves the score as it is.

    Why back to SUBMITTED rather than re-scored in the same transaction:

    - it is true. PASSED and FAILED say "scored on the facts on file"; after the
      change neither is, until someone scores again. The old score stays readable
      (``stale: true``) so the officer still sees what it was and why;
    - it is safe. A selection round and an approval take only PASSED applications,
      so nothing is approved on a score that no longer holds, and a FAILED one does
      not look final while its facts are being corrected;
    - an officer corrects several facts in a row (the questionnaire, then the
      interview points); re-scoring after each would write intermediate scores and
      status flips that the applicant sees and the audit keeps. The officer scores
      once, with ``scoreApplication``, when the corrections are done;
    - re-scoring needs every stage complete, which a write may undo (a check
      requested after a new check type was activated is REQUESTED until its agency
      answers): the write would have to be refused or the status would lie;
    - a partner agency recording a check result must not move an applicant
      between PASSED and FAILED; a score is computed where it is explained, by
      ``scoreApplication`` (or a new model's re-scoring)."""
    if before is None:
        return
    after = (await facts.gather(session, [app.id], today_almaty())).get(app.id, {})
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    if not changed:
        return
    score = (await session.execute(select(Score).where(Score.application_id == app.id))).scalar_one()
    score.stale = True
    old = move(app, "factsChanged", S.SUBMITTED, utcnow())
    await session.flush()
    await audit.record(session, viewer, "application.score_stale", "application", app.id, {
        "status": [old, S.SUBMITTED], "changedFacts": changed,
        "score": {"modelVersion": score.model_version, "total": score.total, "passed": score.passed}})


async def missing_stages(session: AsyncSession, app: Application) -> list[str]:
    """The stages ``scoreApplication`` still needs, in pipeline order (empty when ready)."""
    missing: list[str] = TextList(sep="; ")
    if (await session.execute(select(LanguageTest.id).where(LanguageTest.application_id == app.id))).first() is None:
        missing.append(t("the language test is not recorded"))
    if (await session.execute(select(Questionnaire.id).where(Questionnaire.application_id == app.id))).first() is None:
        missing.append(t("the questionnaire is not submitted"))
    checks = (await session.execute(
        select(CheckType.code, Check.status).join(CheckType, CheckType.id == Check.check_type_id)
        .where(Check.application_id == app.id).order_by(CheckType.code))).all()
    if not checks:
        missing.append(t("checks have not been requested (requestChecks)"))
    else:
        pending = [code for code, status in checks if status == CheckStatus.REQUESTED]
        if pending:
            missing.append(t("{count} check(s) still await a result ({codes})", count=len(pending),
                             codes=", ".join(pending)))
    interview = (await session.execute(select(Interview).where(Interview.application_id == app.id))).scalar_one_or_none()
    if interview is None:
        missing.append(t("no interview is scheduled"))
    elif interview.outcome is None:
        missing.append(t("the interview has no outcome"))
    return missing


async def score_application(session: AsyncSession, viewer: Viewer, *, application_id: int,
                            reason: ScoreReason | None = None) -> Application:
    """Score the application under the model in force today. ``reason`` goes to its
    score history (by default: first score, new facts or new model, as the score
    before it says; a review's re-scoring passes ``ScoreReason.REVIEW``)."""
    require_staff(viewer, t("score applications"))
    app = await load_application(session, viewer, application_id)
    require_status(app, "scoreApplication")
    missing = await missing_stages(session, app)
    if missing:
        raise invalid_state(t("scoreApplication needs every stage first: {missing}", missing=missing), *APPLICATION_ID)
    today = today_almaty()
    model = await scoring_models.model_in_force(session, today)
    if model is None:
        raise invalid_state(t("no published scoring model is in force on {today}", today=today), *APPLICATION_ID)
    results = await scoring_models.evaluate_batch(session, [app], model, today)
    result = results[app.id]
    # store_score sets PASSED or FAILED, the transitions this table allows.
    assert scoring_models.status_after(result) in LEADS_TO["scoreApplication"]
    await scoring_models.store_score(session, viewer, app, model, result, reason=reason)
    return app
