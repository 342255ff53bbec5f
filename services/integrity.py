"""The invariants of SPEC §5–§6, re-proven from the tables (``qonys check-integrity``,
issue 19).

Each check is one set-based query (no row-by-row loading of the register) that
returns only the rows breaking its invariant, as :class:`Violation` values naming
the table and id of the row concerned, what is wrong, and what was expected
against what was found:

- a quota's ``used`` is the seats of the APPROVED applications booked on it
  (a KANDAS family: its seats, as its selection round approved them; a LABOUR
  approval: 1); a seat is held only by an APPROVED application, and every
  APPROVED KANDAS application holds one (its ``selection_round_approval``);
- a contract's ``total_support`` is the sum of its ledger, each support measure's
  total on a contract stays within its cap (:func:`services.contracts.support_cap`,
  with the MRP of the year of the payment that reached the total, as
  ``recordSupportPayment`` checked it);
- a contract has at most one termination, is ACTIVE exactly when it has none,
  its ``refund_paid`` is the sum of its refund payments and never exceeds
  ``refund_due``;
- every status an application holds was reached by an audited event: its
  newest status-changing ``audit_event`` leads to that status;
- a CONFIRMED breach case (SPEC §13) ended its contract by a LEFT_REGION
  termination effective the date the case opened on, and a residence event is
  attached only to a case of its own contract;
- a score's printed lines (``rendered_gates``, ``rendered_breakdown``, which the
  compiled read path sends as they are) are its ``result``'s lines as the API
  prints them. The one check that is not a single query: the lines are printed
  in Python (``services.scoring.results.rendered_lines``), scores read in
  batches by id.

Read-only: it changes nothing, and may run at any moment on a live database.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Application,
    AuditEvent,
    ContractBreach,
    ContractTermination,
    MrpValue,
    Quota,
    RefundPayment,
    ResidenceEvent,
    Score,
    SelectionRound,
    SelectionRoundApproval,
    SocialContract,
    SupportMeasure,
    SupportPayment,
    WorkPermit,
)
from models.enums import ApplicationStatus, BreachStatus, ContractStatus, PermitStatus, Route, TerminationReason
from services.contracts import support_cap
from services.scoring.results import RENDERED, rendered_lines

S = ApplicationStatus

# The audited actions that move an application, and the status each leads to
# (None: the new status is the second item of the event's ``changes.status``,
# ``[old, new]``). Kept beside ``services.applications.status.LEADS_TO``: an
# action added there that moves an application needs its event here.
STATUS_EVENTS: dict[str, ApplicationStatus | None] = {
    "application.submit": S.SUBMITTED,
    "application.score_stale": S.SUBMITTED,
    "application.score": None,
    "application.rescore": None,
    "application.decide": None,
    "application.approve": S.APPROVED,
    "application.withdraw": S.WITHDRAWN,
    "application.review_overturn": None,
}


@dataclass(frozen=True)
class Violation:
    table: str
    row_id: int | None
    problem: str
    expected: Any = None
    found: Any = None

    def line(self) -> str:
        where = f"{self.table}#{self.row_id}" if self.row_id is not None else self.table
        text = f"{where}: {self.problem}"
        if self.expected is not None or self.found is not None:
            text += f" (expected {self.expected}, found {self.found})"
        return text


Check = Callable[[AsyncSession], Awaitable[list[Violation]]]

_app = Application.__table__
_quota = Quota.__table__
_approval = SelectionRoundApproval.__table__
_round = SelectionRound.__table__
_contract = SocialContract.__table__
_support = SupportPayment.__table__
_measure = SupportMeasure.__table__
_mrp = MrpValue.__table__
_termination = ContractTermination.__table__
_refund = RefundPayment.__table__
_audit = AuditEvent.__table__
_breach = ContractBreach.__table__
_event = ResidenceEvent.__table__
_permit = WorkPermit.__table__
_score = Score.__table__


def _text(column: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    """An enum column compared as the text it stores."""
    return sa.type_coerce(column, sa.String())


async def quota_used(session: AsyncSession) -> list[Violation]:
    """``quota.used`` = the seats of the APPROVED applications booked on the quota and the
    workers of the APPROVED work permits that took seats of it (SPEC §15)."""
    holders = sa.union_all(
        sa.select(_app.c.quota_id, _app.c.seats)
        .where(_app.c.quota_id.is_not(None), _text(_app.c.status) == S.APPROVED.value),
        sa.select(_permit.c.quota_id, _permit.c.workers)
        .where(_permit.c.quota_id.is_not(None), _text(_permit.c.status) == PermitStatus.APPROVED.value),
    ).subquery()
    booked = (
        sa.select(holders.c.quota_id, sa.func.sum(holders.c.seats).label("seats"))
        .group_by(holders.c.quota_id).subquery()
    )
    seats = sa.func.coalesce(booked.c.seats, 0)
    rows = await session.execute(
        sa.select(_quota.c.id, _quota.c.used, seats)
        .select_from(_quota.outerjoin(booked, booked.c.quota_id == _quota.c.id))
        .where(_quota.c.used != seats).order_by(_quota.c.id)
    )
    return [Violation("quota", qid, "used is not the seats of the approved applications holding them", int(s), used)
            for qid, used, s in rows]


async def seats_held(session: AsyncSession) -> list[Violation]:
    """A seat is held by an APPROVED application only; a LABOUR approval holds one
    seat, a KANDAS approval its selection round's seats on that round's quota, and
    no APPROVED KANDAS application is without its round approval."""
    approved = _text(_app.c.status) == S.APPROVED.value
    out: list[Violation] = []
    rows = await session.execute(
        sa.select(_app.c.id, _app.c.status, _app.c.quota_id, _app.c.seats)
        .where(~approved, sa.or_(_app.c.quota_id.is_not(None), _app.c.seats.is_not(None))).order_by(_app.c.id))
    out += [Violation("application", aid, "holds quota seats without being APPROVED", "no seats",
                      f"{seats} seat(s) of quota {qid} while {S(status).value}") for aid, status, qid, seats in rows]
    rows = await session.execute(
        sa.select(_app.c.id, _app.c.quota_id, _app.c.seats)
        .where(approved, _text(_app.c.route) == Route.LABOUR.value, _app.c.permit_id.is_(None),
               sa.or_(_app.c.quota_id.is_(None), _app.c.seats.is_(None), _app.c.seats != 1)).order_by(_app.c.id))
    out += [Violation("application", aid, "an approved LABOUR application holds one seat of a quota",
                      "1 seat of a quota", f"{seats} seat(s) of quota {qid}") for aid, qid, seats in rows]
    rows = await session.execute(
        sa.select(_app.c.id, _app.c.quota_id, _app.c.seats, _approval.c.id, _approval.c.seats, _round.c.quota_id)
        .select_from(_app.outerjoin(_approval, _approval.c.application_id == _app.c.id)
                     .outerjoin(_round, _round.c.id == _approval.c.round_id))
        .where(approved, _text(_app.c.route) == Route.KANDAS.value,
               sa.or_(_approval.c.id.is_(None), _app.c.quota_id.is_(None), _app.c.seats.is_(None),
                      _app.c.seats != _approval.c.seats, _app.c.quota_id != _round.c.quota_id))
        .order_by(_app.c.id))
    for aid, qid, seats, approval_id, round_seats, round_quota in rows:
        if approval_id is None:
            out.append(Violation("application", aid, "APPROVED KANDAS application without a seat",
                                 "a selection_round_approval", "none"))
        else:
            out.append(Violation("application", aid, "seats differ from its selection round's approval",
                                 f"{round_seats} seat(s) of quota {round_quota}", f"{seats} seat(s) of quota {qid}"))
    rows = await session.execute(
        sa.select(_app.c.id, _app.c.quota_id, _app.c.seats)
        .where(approved, _app.c.permit_id.is_not(None),
               sa.or_(_app.c.quota_id.is_not(None), _app.c.seats.is_not(None))).order_by(_app.c.id))
    out += [Violation("application", aid, "an approved application on a work permit uses a permit place, "
                      "not a quota seat", "no seats", f"{seats} seat(s) of quota {qid}") for aid, qid, seats in rows]
    return out


async def permit_places(session: AsyncSession) -> list[Violation]:
    """``work_permit.places_used`` = its APPROVED applications, never above its workers."""
    used = (sa.select(_app.c.permit_id, sa.func.count().label("n"))
            .where(_app.c.permit_id.is_not(None), _text(_app.c.status) == S.APPROVED.value)
            .group_by(_app.c.permit_id).subquery())
    n = sa.func.coalesce(used.c.n, 0)
    rows = await session.execute(
        sa.select(_permit.c.id, _permit.c.places_used, n)
        .select_from(_permit.outerjoin(used, used.c.permit_id == _permit.c.id))
        .where(sa.or_(_permit.c.places_used != n, n > _permit.c.workers)).order_by(_permit.c.id))
    return [Violation("work_permit", pid, "places_used is not the approved applications on the permit", int(c), u)
            for pid, u, c in rows]


async def contract_totals(session: AsyncSession) -> list[Violation]:
    """``social_contract.total_support`` = the sum of its support payments."""
    ledger = (sa.select(_support.c.contract_id, sa.func.sum(_support.c.amount).label("total"))
              .group_by(_support.c.contract_id).subquery())
    total = sa.func.coalesce(ledger.c.total, sa.literal(0, _contract.c.total_support.type))
    rows = await session.execute(
        sa.select(_contract.c.id, _contract.c.total_support, total)
        .select_from(_contract.outerjoin(ledger, ledger.c.contract_id == _contract.c.id))
        .where(_contract.c.total_support != total).order_by(_contract.c.id))
    return [Violation("social_contract", cid, "total_support is not the sum of its ledger", t, found)
            for cid, found, t in rows]


async def measure_caps(session: AsyncSession) -> list[Violation]:
    """Each measure's total on a contract within its cap, in the MRP of the year of
    the newest payment (the one whose recording checked the whole total)."""
    totals = (sa.select(_support.c.contract_id, _support.c.measure_id,
                        sa.func.sum(_support.c.amount).label("total"), sa.func.max(_support.c.id).label("last_id"))
              .group_by(_support.c.contract_id, _support.c.measure_id).subquery())
    last = _support.alias("last_payment")
    year = sa.extract("year", last.c.paid_on)
    rows = await session.execute(
        sa.select(totals.c.contract_id, _measure.c.code, totals.c.total, _measure.c.cap_mrp,
                  _measure.c.per_family_member, _contract.c.family_size, year, _mrp.c.amount)
        .select_from(totals.join(last, last.c.id == totals.c.last_id)
                     .join(_measure, _measure.c.id == totals.c.measure_id)
                     .join(_contract, _contract.c.id == totals.c.contract_id)
                     .outerjoin(_mrp, _mrp.c.year == year))
        .order_by(totals.c.contract_id, _measure.c.code))
    out: list[Violation] = []
    for cid, code, total, cap_mrp, per_member, family, paid_year, mrp in rows:
        if mrp is None:
            out.append(Violation("social_contract", cid, f"{code} paid in {int(paid_year)}, a year without an MRP",
                                 f"an MRP for {int(paid_year)}", "none"))
            continue
        cap = support_cap(cap_mrp, mrp, family, per_member)
        if total > cap:
            out.append(Violation("social_contract", cid, f"{code} total over its cap", f"at most {cap}", total))
    return out


async def terminations(session: AsyncSession) -> list[Violation]:
    """One termination per contract, present exactly when the contract is no longer ACTIVE."""
    count = (sa.select(_termination.c.contract_id, sa.func.count().label("n"))
             .group_by(_termination.c.contract_id).subquery())
    n = sa.func.coalesce(count.c.n, 0)
    active = _text(_contract.c.status) == ContractStatus.ACTIVE.value
    rows = await session.execute(
        sa.select(_contract.c.id, _contract.c.status, n)
        .select_from(_contract.outerjoin(count, count.c.contract_id == _contract.c.id))
        .where(sa.or_(n > 1, sa.and_(active, n > 0), sa.and_(~active, n == 0))).order_by(_contract.c.id))
    out: list[Violation] = []
    for cid, status, found in rows:
        status = ContractStatus(status)
        expected = 0 if status == ContractStatus.ACTIVE else 1
        out.append(Violation("social_contract", cid, f"{status.value} contract with {found} termination(s)",
                             f"{expected} termination(s)", found))
    return out


async def refunds(session: AsyncSession) -> list[Violation]:
    """``refund_paid`` = the sum of the refund payments, and never above ``refund_due``;
    no refund payment on a contract without a termination."""
    paid = (sa.select(_refund.c.contract_id, sa.func.sum(_refund.c.amount).label("total"))
            .group_by(_refund.c.contract_id).subquery())
    total = sa.func.coalesce(paid.c.total, sa.literal(0, _termination.c.refund_paid.type))
    rows = await session.execute(
        sa.select(_termination.c.id, _termination.c.contract_id, _termination.c.refund_due,
                  _termination.c.refund_paid, total)
        .select_from(_termination.outerjoin(paid, paid.c.contract_id == _termination.c.contract_id))
        .where(sa.or_(_termination.c.refund_paid != total, _termination.c.refund_paid > _termination.c.refund_due))
        .order_by(_termination.c.id))
    out: list[Violation] = []
    for tid, cid, due, refund_paid, payments in rows:
        if refund_paid != payments:
            out.append(Violation("contract_termination", tid,
                                 f"refund_paid of contract {cid} is not the sum of its refund payments",
                                 payments, refund_paid))
        if refund_paid > due:
            out.append(Violation("contract_termination", tid, f"refund_paid of contract {cid} exceeds refund_due",
                                 f"at most {due}", refund_paid))
    rows = await session.execute(
        sa.select(_refund.c.id, _refund.c.contract_id)
        .where(~sa.exists().where(_termination.c.contract_id == _refund.c.contract_id)).order_by(_refund.c.id))
    out += [Violation("refund_payment", rid, f"refund paid on contract {cid}, which has no termination",
                      "a termination", "none") for rid, cid in rows]
    return out


async def audited_statuses(session: AsyncSession) -> list[Violation]:
    """The newest status-changing audit event of each application leads to the status it holds."""
    moving = (_audit.c.entity_type == "application") & _audit.c.action.in_(list(STATUS_EVENTS))
    newest = (sa.select(_audit.c.entity_id, sa.func.max(_audit.c.id).label("event_id"))
              .where(moving).group_by(_audit.c.entity_id).subquery())
    event = _audit.alias("event")
    reached = sa.case(
        *[(event.c.action == action, sa.literal(to.value)) for action, to in STATUS_EVENTS.items() if to],
        else_=event.c.changes[("status", 1)].as_string(),
    )
    rows = await session.execute(
        sa.select(_app.c.id, _app.c.status, event.c.id, event.c.action, reached)
        .select_from(_app.outerjoin(newest, newest.c.entity_id == _app.c.id)
                     .outerjoin(event, event.c.id == newest.c.event_id))
        .where(sa.or_(event.c.id.is_(None), reached.is_(None), reached != _text(_app.c.status)))
        .order_by(_app.c.id))
    out: list[Violation] = []
    for aid, status, event_id, action, to in rows:
        status = S(status).value
        if event_id is None:
            out.append(Violation("application", aid, f"status {status} reached by no audited event",
                                 f"an audit event leading to {status}", "none"))
        else:
            out.append(Violation("application", aid, f"status {status} differs from its last audited move "
                                 f"(audit_event#{event_id}, {action})", status, to))
    return out


async def breach_cases(session: AsyncSession) -> list[Violation]:
    """A CONFIRMED case ended its contract (LEFT_REGION, effective the day the case
    opened on); an event is attached only to a case of its own contract."""
    ended = sa.and_(_termination.c.contract_id == _breach.c.contract_id,
                    _text(_termination.c.reason) == TerminationReason.LEFT_REGION.value,
                    _termination.c.effective_date == _breach.c.opened_on)
    rows = await session.execute(
        sa.select(_breach.c.id, _breach.c.contract_id, _breach.c.opened_on)
        .where(_text(_breach.c.status) == BreachStatus.CONFIRMED.value, ~sa.exists().where(ended))
        .order_by(_breach.c.id))
    out = [Violation("contract_breach", bid, f"CONFIRMED case without its termination of contract {cid}",
                     f"a LEFT_REGION termination effective {opened_on}", "none") for bid, cid, opened_on in rows]
    rows = await session.execute(
        sa.select(_event.c.id, _event.c.contract_id, _breach.c.contract_id)
        .select_from(_event.join(_breach, _breach.c.id == _event.c.breach_id))
        .where(_breach.c.contract_id != _event.c.contract_id).order_by(_event.c.id))
    out += [Violation("residence_event", eid, "attached to a breach case of another contract", cid, other)
            for eid, cid, other in rows]
    return out


async def printed_lines(session: AsyncSession, batch: int = 2000) -> list[Violation]:
    """A score's ``rendered_gates`` and ``rendered_breakdown`` are its ``result``'s
    lines as the API prints them (``rendered_lines``): a writer that changed the
    result without them would have the compiled read path answer with lines the
    normal path does not give."""
    out: list[Violation] = []
    last = 0
    while True:
        rows = (await session.execute(
            sa.select(_score.c.id, _score.c.result, *(_score.c[column] for column in RENDERED.values()))
            .where(_score.c.id > last).order_by(_score.c.id).limit(batch))).all()
        for score_id, result, *found in rows:
            expected = rendered_lines(result)
            out += [Violation("score", score_id, f"{column} is not its result's lines as the API prints them",
                              expected[column], printed)
                    for column, printed in zip(RENDERED.values(), found)
                    if printed != expected[column]]
        if len(rows) < batch:
            return out
        last = rows[-1][0]


CHECKS: tuple[Check, ...] = (quota_used, seats_held, permit_places, contract_totals, measure_caps, terminations,
                             refunds, audited_statuses, breach_cases, printed_lines)


async def check(session: AsyncSession) -> list[Violation]:
    """Every violation of every invariant, check by check."""
    out: list[Violation] = []
    for one in CHECKS:
        out += await one(session)
    return out
