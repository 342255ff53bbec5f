"""What happens when an application leaves the undecided states (issue 13 items 5 and 11).

Whoever takes it out (``decideApplication``, a selection round's approval,
``withdrawApplication``) calls :func:`close` in the same transaction:

- a decision row records the outcome, the reason, when and who
  (``ApplicationDecision``; the newest row of an application is the one in force);
- the checks still ``REQUESTED`` become ``CANCELLED``, with ``updated_at`` moved
  forward so that the agencies' feed (ordered by ``updated_at``) shows the change
  once, and no result is recorded for them any more.

Who reads which field of a decision is declared in ``services.access``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import ApplicationDecision, Check, CheckType
from models.enums import OPEN_CHECK_STATUSES, CheckStatus, DecisionOutcome
from services.rules import moved_forward
from services.viewer import Viewer

# The limit the API has always had (``application.decision_reason``): widening that
# column would mean rebuilding the ``application`` table on SQLite, which enforced
# foreign keys forbid inside a migration's transaction once rows reference it.
REASON_MAX = 1000
_CHUNK = 1000

@dataclass(frozen=True)
class Closing:
    """One application leaving the undecided states."""

    application_id: int
    reason: str | None
    selection_round_id: int | None = None


CANCEL_NOTE = {
    DecisionOutcome.WITHDRAWN: "Cancelled: the application was withdrawn.",
    DecisionOutcome.APPROVED: "Cancelled: the application was decided (APPROVED) before this result came.",
    DecisionOutcome.REJECTED: "Cancelled: the application was decided (REJECTED) before this result came.",
}


async def close(
    session: AsyncSession, viewer: Viewer, *, outcome: DecisionOutcome, closings: Sequence[Closing],
    now: dt.datetime,
) -> dict[int, list[str]]:
    """Record the decisions and cancel the open checks of ``closings``; returns, per
    application, the codes of the check types whose checks were cancelled (for the
    caller's audit event). The applications must already be locked or updated by
    the caller in this transaction (so no result is recorded for them meanwhile)."""
    if not closings:
        return {}
    await session.execute(insert(ApplicationDecision), [
        {"application_id": c.application_id, "outcome": outcome, "reason": c.reason, "decided_at": now,
         "decided_by": viewer.audit_subject, "selection_round_id": c.selection_round_id}
        for c in closings
    ])
    cancelled: dict[int, list[str]] = {}
    ids = [c.application_id for c in closings]
    note = CANCEL_NOTE[outcome]
    for i in range(0, len(ids), _CHUNK):
        rows = (await session.execute(
            select(Check, CheckType.code).join(CheckType, CheckType.id == Check.check_type_id)
            .where(Check.application_id.in_(ids[i:i + _CHUNK]), Check.status.in_(OPEN_CHECK_STATUSES))
            .order_by(Check.application_id, Check.id)
            .with_for_update(of=Check)
        )).all()
        for check, code in rows:
            check.updated_at = moved_forward(now, check.updated_at)
            check.status = CheckStatus.CANCELLED
            check.details = note
            check.completed_at = None
            check.recorded_by = viewer.audit_subject
            cancelled.setdefault(check.application_id, []).append(code)
    await session.flush()
    return cancelled


async def latest(session: AsyncSession, application_id: int) -> ApplicationDecision | None:
    """The decision in force of an application (the newest), if any."""
    return (await session.execute(
        select(ApplicationDecision).where(ApplicationDecision.application_id == application_id)
        .order_by(ApplicationDecision.decided_at.desc(), ApplicationDecision.id.desc()).limit(1)
    )).scalar_one_or_none()
