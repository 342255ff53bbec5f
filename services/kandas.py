"""Kandas status (SPEC §12).

When a selection round approves a KANDAS application, the principal applicant
is granted kandas status in the same transaction (:func:`grant`, called by
``services.quotas.selection``): a number ``KS-YYYY-NNNNNN``, ``grantedOn`` the
decision's date (Almaty), ``validUntil`` a year later, ``ACTIVE``.

- The stored status is ``ACTIVE`` or ``ENDED``; an ``ACTIVE`` status read after
  its ``validUntil`` is ``EXPIRED`` (:func:`state_on`, computed from today: no job
  needs to run for a status to expire).
- :func:`extend_kandas_status`: officers, once per status, 1–6 months, only while
  it is ``ACTIVE`` and on or before ``validUntil``.
- :func:`end_kandas_status`: citizenship granted, revoked or departed.
- ``signContract`` needs the status ACTIVE when the contract starts
  (:func:`require_for_contract`): not ended, and the start date on or before
  ``validUntil`` (so a contract signed while the status held may be recorded
  after it expired; the start date's other bounds are ``services.contracts``').
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.text import t
from models import Application, KandasStatus
from models.base import today_almaty, utcnow
from models.enums import KandasEndReason, KandasStatusState
from services import audit, numbers
from services.errors import ErrorCollector, forbidden, invalid, invalid_state
from services.rules import add_months, add_years
from services.viewer import Viewer
from services.rows import locked

NUMBER_PREFIX = "KS"
VALID_YEARS = 1
EXTENSION_MIN, EXTENSION_MAX = 1, 6
EXPIRING_DAYS_MAX = 3660
STATUS_ID = ("input", "statusId")
_CHUNK = 1000
K = KandasStatusState


# --------------------------------------------------------------------------
# the rules, as pure functions (the services below and the demo data use them)


def valid_until_of(granted_on: dt.date) -> dt.date:
    """A status granted on ``granted_on`` is valid a year, to this date (inclusive)."""
    return add_years(granted_on, VALID_YEARS)


def state_on(stored: KandasStatusState | str, valid_until: dt.date, today: dt.date) -> KandasStatusState:
    """The status as read on ``today``: an ACTIVE one past its date is EXPIRED."""
    stored = KandasStatusState(stored)
    if stored == K.ACTIVE and today > valid_until:
        return K.EXPIRED
    return stored


def state_condition(state: KandasStatusState, today: Any) -> ColumnElement[bool]:
    """SQL: the statuses that read as ``state`` on ``today`` (a value or a bound parameter)."""
    s = KandasStatus
    if state == K.ENDED:
        return s.status == K.ENDED
    if state == K.EXPIRED:
        return and_(s.status == K.ACTIVE, s.valid_until < today)
    return and_(s.status == K.ACTIVE, s.valid_until >= today)


def expiring_condition(today: Any, until: Any) -> ColumnElement[bool]:
    """SQL: ACTIVE statuses whose last valid day is from ``today`` to ``until``."""
    s = KandasStatus
    return and_(s.status == K.ACTIVE, s.valid_until >= today, s.valid_until <= until)


def expiring_days_problem(days: int) -> str | None:
    if not 0 <= days <= EXPIRING_DAYS_MAX:
        return t("expiringWithinDays must be 0 to {most} (got {days})", most=EXPIRING_DAYS_MAX, days=days)
    return None


def extension_problem(months: int) -> str | None:
    if not EXTENSION_MIN <= months <= EXTENSION_MAX:
        return t("a kandas status is extended by {least} to {most} months (got {months})",
                 least=EXTENSION_MIN, most=EXTENSION_MAX, months=months)
    return None


def require_staff(viewer: Viewer) -> None:
    if not viewer.is_staff:
        raise forbidden(t("only officers and administrators may change a kandas status"))


# --------------------------------------------------------------------------
# granting (by a selection round, in its transaction)


@dataclass(frozen=True)
class Grant:
    application_id: int
    applicant_id: int
    granted_on: dt.date


async def grant(session: AsyncSession, viewer: Viewer, grants: Sequence[Grant]) -> dict[int, int]:
    """Grant the statuses of ``grants`` (applications just approved by a round), numbered
    by the year granted; one INSERT, one audit event each. Returns status id by application id."""
    if not grants:
        return {}
    by_year: dict[int, list[Grant]] = defaultdict(list)
    for g in grants:
        by_year[g.granted_on.year].append(g)
    now = utcnow()
    rows = []
    for year, group in sorted(by_year.items()):
        for g, number in zip(group, await numbers.next_numbers(session, NUMBER_PREFIX, year, len(group))):
            rows.append({"number": number, "application_id": g.application_id, "applicant_id": g.applicant_id,
                         "granted_on": g.granted_on, "valid_until": valid_until_of(g.granted_on),
                         "status": K.ACTIVE, "created_at": now, "updated_at": now})
    await session.flush()
    await session.execute(insert(KandasStatus), rows)
    app_ids = [row["application_id"] for row in rows]
    ids: dict[int, int] = {}
    for i in range(0, len(app_ids), _CHUNK):
        ids.update((await session.execute(
            select(KandasStatus.application_id, KandasStatus.id)
            .where(KandasStatus.application_id.in_(app_ids[i:i + _CHUNK])))).all())
    await audit.record_many(session, viewer, "kandas_status.grant", "kandas_status", [
        (ids[row["application_id"]], {"number": row["number"], "applicationId": row["application_id"],
                                      "grantedOn": row["granted_on"], "validUntil": row["valid_until"]})
        for row in rows
    ], at=now)
    return ids


async def grant_for(session: AsyncSession, viewer: Viewer, application_ids: Sequence[int],
                    granted_on: dt.date) -> dict[int, int]:
    """:func:`grant` for applications by id (their principal applicants), granted on ``granted_on``."""
    ids = list(application_ids)
    applicants: dict[int, int] = {}
    for i in range(0, len(ids), _CHUNK):
        applicants.update((await session.execute(
            select(Application.id, Application.applicant_id).where(Application.id.in_(ids[i:i + _CHUNK]))
        )).all())
    return await grant(session, viewer, [Grant(i, applicants[i], granted_on) for i in application_ids])


# --------------------------------------------------------------------------
# signContract


async def require_for_contract(session: AsyncSession, application_id: int, start_date: dt.date) -> KandasStatus:
    """The application's kandas status, not ended and valid on the contract's start date;
    INVALID_STATE otherwise (see the module's docstring)."""
    status = (await session.execute(
        select(KandasStatus).where(KandasStatus.application_id == application_id))).scalar_one_or_none()
    if status is None:
        raise invalid_state(t("a social contract needs an ACTIVE kandas status, granted when a selection round "
                              "approves the application; this application has none"), "input", "applicationId")
    if status.status == K.ENDED:
        raise invalid_state(t("a social contract needs an ACTIVE kandas status; status {number} ended on "
                              "{ended_on} ({reason})", number=status.number, ended_on=status.ended_on.isoformat(),
                              reason=KandasEndReason(status.end_reason).value), "input", "applicationId")
    if start_date > status.valid_until:
        raise invalid_state(t("a social contract starts while the kandas status is ACTIVE: status {number} is "
                              "valid until {valid_until} (the start date is {start_date})",
                              number=status.number, valid_until=status.valid_until.isoformat(),
                              start_date=start_date.isoformat()), "input", "startDate")
    return status


# --------------------------------------------------------------------------
# extension and end


async def _locked(session: AsyncSession, status_id: int) -> KandasStatus:
    return await locked(session, KandasStatus, status_id, "kandas status", field=STATUS_ID)


async def extend_kandas_status(session: AsyncSession, viewer: Viewer, *, status_id: int, months: int) -> KandasStatus:
    require_staff(viewer)
    row = await _locked(session, status_id)
    today = today_almaty()
    if row.status == K.ENDED:
        raise invalid_state(t("kandas status {number} has ended; only an ACTIVE status is extended",
                              number=row.number), *STATUS_ID)
    if row.extended_months is not None:
        raise invalid_state(t("a kandas status is extended once; {number} was already extended by {months} "
                              "month(s)", number=row.number, months=row.extended_months), *STATUS_ID)
    if today > row.valid_until:
        raise invalid_state(t("kandas status {number} expired on {valid_until}; a status is extended on or before "
                              "its last valid day", number=row.number, valid_until=row.valid_until.isoformat()),
                            *STATUS_ID)
    problem = extension_problem(months)
    if problem:
        raise invalid(problem, "input", "months")
    before = row.valid_until
    row.valid_until = add_months(before, months)
    row.extended_months = months
    row.updated_at = utcnow()
    await session.flush()
    await audit.record(session, viewer, "kandas_status.extend", "kandas_status", row.id, {
        "months": months, "validUntil": [before, row.valid_until]})
    return row


async def end_kandas_status(session: AsyncSession, viewer: Viewer, *, status_id: int, reason: KandasEndReason,
                            ended_on: dt.date) -> KandasStatus:
    require_staff(viewer)
    reason = KandasEndReason(reason)
    row = await _locked(session, status_id)
    if row.status == K.ENDED:
        raise invalid_state(t("kandas status {number} already ended on {ended_on}", number=row.number,
                              ended_on=row.ended_on.isoformat()), *STATUS_ID)
    today = today_almaty()
    errors = ErrorCollector()
    if ended_on < row.granted_on:
        errors.invalid(t("the end date {ended_on} is before the status was granted ({granted_on})",
                         ended_on=ended_on.isoformat(), granted_on=row.granted_on.isoformat()), "input", "endedOn")
    elif ended_on > today:
        errors.invalid(t("the end date {ended_on} is after today ({today}, Asia/Almaty); record it once it has "
                         "happened", ended_on=ended_on.isoformat(), today=today.isoformat()), "input", "endedOn")
    elif ended_on > row.valid_until:
        errors.invalid(t("kandas status {number} expired on {valid_until}; it cannot end after that",
                         number=row.number, valid_until=row.valid_until.isoformat()), "input", "endedOn")
    errors.raise_if_any()
    result = await session.execute(
        update(KandasStatus).where(KandasStatus.id == row.id, KandasStatus.status == K.ACTIVE)
        .values(status=K.ENDED, end_reason=reason, ended_on=ended_on, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # pragma: no cover - the lock above makes this unreachable
        raise invalid_state(t("the status was ended by someone else a moment ago"), *STATUS_ID)
    row.status, row.end_reason, row.ended_on = K.ENDED, reason, ended_on
    await audit.record(session, viewer, "kandas_status.end", "kandas_status", row.id, {
        "status": [K.ACTIVE, K.ENDED], "reason": reason, "endedOn": ended_on})
    return row
