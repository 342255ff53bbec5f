"""Review of a decision (SPEC §14): the administrative appeal.

- :func:`request_review`: the applicant for their own application, or an officer
  on their behalf, on a ``FAILED`` or ``REJECTED`` application, within 3 months
  of the decision (the day the score failed it, or the refusal); one open review
  at a time. The review keeps what was under review: the status it gave, when
  and by whom, and the score (model version, total, passed).
- ``dueDate`` = 20 working days after the request (``services.holidays``).
- :func:`decide_review`: four eyes — an officer who did not make the decision
  under review, or an administrator. ``UPHELD`` leaves the application as it
  is; ``OVERTURNED`` moves a ``FAILED`` application back to ``SUBMITTED`` (facts
  may be corrected, then it is scored again) and a ``REJECTED`` one back to
  ``PASSED`` (a KANDAS application then waits for the next round; any other is
  decided again). A REJECTED application whose current score did not pass (it
  was refused before passing) goes back to ``SUBMITTED`` instead, so that no
  selection round or approval takes an application that has not passed. Back in
  ``SUBMITTED``, its score is marked stale: kept to explain the last one until
  ``scoreApplication`` scores it again.
- Every step is audited; the moves of the application go through the status
  table (``services.applications.status``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.text import t
from models import Application, AuditEvent, DecisionReview, Score
from models.base import ALMATY, today_almaty, utcnow
from models.enums import ApplicationStatus, ReviewOutcome, ReviewStatus
from services import audit, decisions, holidays, numbers, rows
from services.applications.checks import reopen_cancelled_checks
from services.applications.common import APPLICATION_ID, load_application, require_person
from services.applications.submission import undecided_twins
from services.applications.status import S, move, require_status
from services.errors import ErrorCode, ErrorCollector, ServiceError, forbidden
from services.rules import add_months
from services.viewer import Viewer
from services.rows import locked

REVIEW_MONTHS = 3
REVIEW_WORKING_DAYS = 20
GROUNDS_MIN, GROUNDS_MAX = 10, 4000
REASON_MAX = decisions.REASON_MAX
NUMBER_PREFIX = "RV"
REVIEW_ID = ("input", "reviewId")
# The audited actions that made a FAILED decision: the score that failed the application.
_SCORING_ACTIONS = ("application.score", "application.rescore")


@dataclass(frozen=True)
class UnderReview:
    """The decision a review is about."""

    status: ApplicationStatus
    decided_on: dt.date
    decided_by: str | None
    score: Score | None


def last_day_to_ask(decided_on: dt.date) -> dt.date:
    """The last day a review of a decision of ``decided_on`` may be asked for."""
    return add_months(decided_on, REVIEW_MONTHS)


def overdue_condition(today: object) -> ColumnElement[bool]:
    """SQL: open reviews past their due date on ``today``."""
    return and_(DecisionReview.status == ReviewStatus.OPEN, DecisionReview.due_date < today)


def grounds_problem(grounds: str) -> str | None:
    if not GROUNDS_MIN <= len(grounds) <= GROUNDS_MAX:
        return t("the grounds must be {least} to {most} characters (got {length})",
                 least=GROUNDS_MIN, most=GROUNDS_MAX, length=len(grounds))
    return None


async def under_review(session: AsyncSession, app: Application) -> UnderReview:
    """What a review of ``app`` (FAILED or REJECTED) would be about."""
    score = (await session.execute(select(Score).where(Score.application_id == app.id))).scalar_one_or_none()
    if app.status == S.REJECTED:
        decision = await decisions.latest(session, app.id)
        decided_at = decision.decided_at if decision is not None else app.decided_at
        decided_by = decision.decided_by if decision is not None else None
    else:  # FAILED: the score is the decision
        assert score is not None  # a FAILED application has its score
        decided_at = score.computed_at
        decided_by = (await session.execute(
            select(AuditEvent.actor_subject)
            .where(AuditEvent.entity_type == "application", AuditEvent.entity_id == app.id,
                   AuditEvent.action.in_(_SCORING_ACTIONS))
            .order_by(AuditEvent.id.desc()).limit(1))).scalar_one_or_none()
    assert decided_at is not None
    return UnderReview(status=app.status, decided_on=decided_at.astimezone(ALMATY).date(), decided_by=decided_by,
                       score=score)


async def request_review(session: AsyncSession, viewer: Viewer, *, application_id: int,
                         grounds: str) -> DecisionReview:
    require_person(viewer, "ask for a review of a decision")
    app = await load_application(session, viewer, application_id)
    require_status(app, "requestReview")
    under = await under_review(session, app)
    today = today_almaty()
    last_day = last_day_to_ask(under.decided_on)
    if today > last_day:
        raise ServiceError.one(ErrorCode.INVALID_STATE, t(
            "a review may be asked for within {months} months of the decision of {decided_on}; the last day was "
            "{last_day}", months=REVIEW_MONTHS, decided_on=under.decided_on.isoformat(),
            last_day=last_day.isoformat()), APPLICATION_ID)
    open_number = (await session.execute(select(DecisionReview.number).where(
        DecisionReview.application_id == app.id, DecisionReview.status == ReviewStatus.OPEN))).scalar_one_or_none()
    if open_number is not None:
        raise ServiceError.one(ErrorCode.DUPLICATE, t(
            "review {number} of this application is still open; one review at a time", number=open_number),
            APPLICATION_ID)
    errors = ErrorCollector()
    grounds = (grounds or "").strip()
    errors.invalid(grounds_problem(grounds), "input", "grounds")
    errors.raise_if_any()
    score = under.score
    review = DecisionReview(
        number=await numbers.next_number(session, NUMBER_PREFIX, today.year),
        application_id=app.id, status=ReviewStatus.OPEN, grounds=grounds, requested_at=utcnow(),
        requested_by=viewer.audit_subject,
        due_date=await holidays.working_days_after(session, today, REVIEW_WORKING_DAYS),
        reviewed_status=under.status, decision_on=under.decided_on, decision_by=under.decided_by,
        score_model_version=score.model_version if score else None, score_total=score.total if score else None,
        score_passed=score.passed if score else None,
    )
    if not await rows.added(session, review):
        raise ServiceError.one(ErrorCode.DUPLICATE, t("this application already has an open review"), APPLICATION_ID)
    await audit.record(session, viewer, "review.request", "decision_review", review.id, {
        "number": review.number, "applicationId": app.id, "reviewedStatus": under.status,
        "decisionOn": under.decided_on, "decisionBy": under.decided_by, "dueDate": review.due_date,
        "score": {"modelVersion": review.score_model_version, "total": review.score_total,
                  "passed": review.score_passed}})
    return review


def require_staff(viewer: Viewer) -> None:
    if not viewer.is_staff:
        raise forbidden(t("only officers and administrators decide reviews"))


def _overturned_to(app: Application, review: DecisionReview) -> ApplicationStatus:
    if app.status == S.FAILED:
        return S.SUBMITTED
    return S.PASSED if review.score_passed else S.SUBMITTED


async def decide_review(session: AsyncSession, viewer: Viewer, *, review_id: int, outcome: ReviewOutcome,
                        reason: str) -> DecisionReview:
    require_staff(viewer)
    outcome = ReviewOutcome(outcome)
    review = await locked(session, DecisionReview, review_id, "review", field=REVIEW_ID)
    if review.status != ReviewStatus.OPEN:
        raise ServiceError.one(ErrorCode.INVALID_STATE, t("review {number} was already decided: {status}",
                                                          number=review.number, status=review.status.value),
                               REVIEW_ID)
    if not viewer.is_admin and review.decision_by is not None and review.decision_by == viewer.audit_subject:
        raise forbidden(t("four eyes: you made the decision under review, so another officer or an administrator "
                          "decides the review"), *REVIEW_ID)
    errors = ErrorCollector()
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= REASON_MAX:
        errors.invalid(t("a review's decision gives its reason (1 to {most} characters)", most=REASON_MAX),
                       "input", "reason")
    app = await load_application(session, viewer, review.application_id, field=REVIEW_ID)
    if outcome == ReviewOutcome.OVERTURNED:
        require_status(app, "decideReview(OVERTURNED)", *REVIEW_ID)
    errors.raise_if_any()
    if outcome == ReviewOutcome.OVERTURNED and app.status == S.REJECTED:  # undecided again: SPEC §8's rule holds
        by_document, by_iin = await undecided_twins(session, app.citizenship, app.document_number, app.iin)
        if by_document or by_iin:
            raise ServiceError.one(ErrorCode.DUPLICATE, t(
                "application {number} would be undecided again while {others}, on the same document or IIN, is "
                "undecided (one undecided application per document and per IIN): withdraw or decide {others} first",
                number=app.number, others=", ".join(sorted({*by_document, *by_iin}))), REVIEW_ID)
    now = utcnow()
    if outcome == ReviewOutcome.OVERTURNED:
        to = _overturned_to(app, review)
        old = move(app, "decideReview(OVERTURNED)", to, now)
        reopened: list[str] = []
        if old == S.REJECTED:  # undecided again: no decision in force, and the checks it cancelled reopened
            app.decided_at = None
            app.decision_reason = None
            reopened = await reopen_cancelled_checks(session, app)
        stale = False
        if to == S.SUBMITTED:  # to be scored again: the score is kept only to explain the last one
            stale = (await session.execute(
                update(Score).where(Score.application_id == app.id).values(stale=True)
                .execution_options(synchronize_session=False))).rowcount > 0
        await session.flush()
        await audit.record(session, viewer, "application.review_overturn", "application", app.id, {
            "status": [old, to], "reviewId": review.id, "reviewNumber": review.number,
            **({"scoreStale": True} if stale else {}), **({"reopenedChecks": reopened} if reopened else {})})
    review.status = ReviewStatus(outcome.value)
    review.outcome = outcome
    review.reason = reason
    review.decided_at = now
    review.decided_by = viewer.audit_subject
    await session.flush()
    await audit.record(session, viewer, "review.decide", "decision_review", review.id, {
        "status": [ReviewStatus.OPEN, review.status], "outcome": outcome, "reason": reason,
        "applicationId": app.id})
    return review

