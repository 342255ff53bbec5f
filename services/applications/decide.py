"""How an application leaves the undecided states: an officer's decision
(APPROVE, or REJECT with its reason; a LABOUR approval takes a quota seat) or
the applicant's withdrawal. Either closes what the application leaves open
(``services.decisions.close``). KANDAS applications are approved only by
selection rounds (``services.quotas``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.text import t
from models import Application
from models.base import today_almaty, utcnow
from models.enums import UNDECIDED_STATUSES, ApplicationStatus, Decision, DecisionOutcome, Route
from services import audit, decisions, quotas
from services.applications.common import APPLICATION_ID, load_application, require_person, require_staff
from services.applications.status import S, move, require_status
from services.errors import ErrorCollector, invalid_state
from services.inputs import optional_text
from services.labour import permits
from services.viewer import Viewer

REASON_MAX = decisions.REASON_MAX


def _reason(reason: str | None, errors: ErrorCollector, *field: str, required: str | None = None) -> str | None:
    """The reason, stripped (None when blank). ``required`` is the message when a
    blank reason is not allowed (a refusal is an administrative act: it is reasoned)."""
    reason = optional_text(reason, REASON_MAX, t("The reason"), errors, *field)
    if reason is None:
        errors.invalid(required, *field)
    return reason


async def _close(
    session: AsyncSession, viewer: Viewer, app: Application, action: str, to: ApplicationStatus, reason: str | None,
    now: dt.datetime,
) -> tuple[ApplicationStatus, list[str] | None]:
    """Move ``app`` to ``to`` (a decision or a withdrawal) with its reason and
    close it (``decisions.close``); returns the old status and the codes of the
    check types whose open checks were cancelled (None when none were)."""
    old = move(app, action, to, now)
    app.decided_at = now  # when the application left the undecided states, by a decision or a withdrawal
    app.decision_reason = reason
    await session.flush()
    cancelled = await decisions.close(session, viewer, outcome=DecisionOutcome(to.value),
                                      closings=[decisions.Closing(app.id, reason)], now=now)
    return old, cancelled.get(app.id)


async def decide_application(
    session: AsyncSession, viewer: Viewer, *, application_id: int, decision: Decision, reason: str | None = None
) -> Application:
    require_staff(viewer, t("decide applications"))
    app = await load_application(session, viewer, application_id)
    errors = ErrorCollector()
    reason = _reason(reason, errors, "input", "reason", required=(
        t("A refusal must give its reason (1 to {most} characters).", most=REASON_MAX) if decision == Decision.REJECT else None))
    today = today_almaty()
    if decision == Decision.APPROVE:
        if app.route == Route.KANDAS and app.status in UNDECIDED_STATUSES:
            raise invalid_state(t("KANDAS applications are approved only by selection rounds (runSelectionRound)"),
                                "input", "decision")
        action = "decideApplication(APPROVE)"
        to = S.APPROVED
    else:
        action = "decideApplication(REJECT)"
        to = S.REJECTED
    require_status(app, action)
    errors.raise_if_any()

    now = utcnow()
    changes: dict[str, Any] = {"decision": decision, "reason": reason}
    if to == S.APPROVED and app.route == Route.LABOUR and app.permit_id is not None:
        # One place of the approved work permit it names, instead of a quota seat (SPEC §15).
        await permits.use_permit_place(session, app.permit_id)
        changes.update({"permitId": app.permit_id})
    elif to == S.APPROVED and app.route == Route.LABOUR:
        if app.occupation_id is None:  # never accepted at submission; kept as a guard
            raise invalid_state(t("a LABOUR application without an occupation cannot take a quota seat"), *APPLICATION_ID)
        quota = await quotas.take_labour_seat(session, region_id=app.target_region_id,
                                              occupation_id=app.occupation_id, year=today.year)
        app.quota_id = quota.id
        app.seats = 1
        changes.update({"quotaId": quota.id, "seats": 1})
    old, cancelled = await _close(session, viewer, app, action, to, reason, now)
    if cancelled:
        changes["cancelledChecks"] = cancelled
    await audit.record(session, viewer, "application.decide", "application", app.id,
                       {"status": [old, to], **changes})
    return app


async def withdraw_application(
    session: AsyncSession, viewer: Viewer, *, application_id: int, reason: str | None = None
) -> Application:
    require_person(viewer, t("withdraw applications"))
    app = await load_application(session, viewer, application_id)
    require_status(app, "withdrawApplication")
    errors = ErrorCollector()
    reason = _reason(reason, errors, "input", "reason")
    errors.raise_if_any()
    now = utcnow()
    old, cancelled = await _close(session, viewer, app, "withdrawApplication", S.WITHDRAWN, reason, now)
    await audit.record(session, viewer, "application.withdraw", "application", app.id,
                       {"status": [old, S.WITHDRAWN], "reason": reason,
                        **({"cancelledChecks": cancelled} if cancelled else {})})
    return app
