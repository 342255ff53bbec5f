"""Work permits (SPEC §15): ``requestWorkPermit`` under the rules of §15 (the
region's deficit list, the local-share floors counted with the employer's active
permits, the ICT cap, validity, a suspended employer), ``decideWorkPermit`` (an
approval takes the permit's workers as seats of the LABOUR quota with the one
conditional UPDATE of §5, so concurrent approvals never overbook; ICT takes
none), and the places of an approved permit that LABOUR applications use.

A request locks its employer's row, so two requests of one employer are counted
one after the other against the floors."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.text import t
from models import DeficitOccupation, Employer, WorkPermit
from models.base import today_almaty, utcnow
from models.enums import Decision, PermitCategory, PermitStatus
from services import audit, numbers, quotas
from services.decisions import REASON_MAX
from services.errors import ErrorCollector, ServiceError, invalid, invalid_state, not_found
from services.inputs import occupation_by_code, optional_text, region_by_code
from services.labour import rules as labour
from services.labour.employers import lock_employer, require_staff
from services.viewer import Viewer
from services.rows import locked

PERMIT_ID = ("input", "permitId")


def active_condition(today: dt.date):  # type: ignore[no-untyped-def]
    """Permits that count against an employer's floors: requested, or approved and not expired."""
    return or_(WorkPermit.status == PermitStatus.REQUESTED,
               (WorkPermit.status == PermitStatus.APPROVED) & (WorkPermit.valid_until >= today))


async def foreign_workers(session: AsyncSession, employer_id: int, today: dt.date) -> dict[PermitCategory, int]:
    """The workers of the employer's active permits, by category."""
    rows = (await session.execute(
        select(WorkPermit.category, func.sum(WorkPermit.workers))
        .where(WorkPermit.employer_id == employer_id, active_condition(today)).group_by(WorkPermit.category)
    )).all()
    return {PermitCategory(c): int(n) for c, n in rows}


def suspension_refusal(employer: Employer, today: dt.date) -> ServiceError | None:
    if labour.suspended_on(employer.suspended_until, today):
        return invalid_state(t("employer {bin} is suspended for repeated violations until {until}; it may not "
                               "request work permits before then", bin=employer.bin,
                               until=employer.suspended_until.isoformat()), "input", "employerId")
    return None


async def request_work_permit(
    session: AsyncSession, viewer: Viewer, *, employer_id: int, category: PermitCategory, occupation_code: str,
    region_code: str, workers: int, valid_months: int,
) -> WorkPermit:
    require_staff(viewer)
    category = PermitCategory(category)
    today = today_almaty()
    errors = ErrorCollector()
    errors.invalid(labour.workers_problem(workers), "input", "workers")
    errors.invalid(labour.valid_months_problem(category, valid_months), "input", "validMonths")
    region = await region_by_code(session, region_code, errors, "input", "regionCode")
    occupation = await occupation_by_code(session, occupation_code, errors, "input", "occupationCode")
    if region is not None and occupation is not None and labour.needs_deficit_occupation(category):
        listed = (await session.execute(select(DeficitOccupation.id).where(
            DeficitOccupation.region_id == region.id, DeficitOccupation.occupation_id == occupation.id,
            DeficitOccupation.year == today.year))).first()
        if listed is None:
            errors.invalid(t("occupation {occupation} is not on the deficit list of {region} for {year}: foreign "
                             "labour in category {category} comes only where a shortage exists (only CAT1 and "
                             "ICT may name another occupation)", occupation=occupation.code, region=region.code,
                             year=today.year, category=category.value), "input", "occupationCode")
    employer = await lock_employer(session, employer_id)
    refusal = suspension_refusal(employer, today)
    if refusal is not None:
        raise refusal
    if labour.workers_problem(workers) is None:
        for share in labour.share_problems(labour.staff_of(employer), await foreign_workers(session, employer.id, today),
                                           category, workers):
            errors.invalid(share.message, "input", share.field)
    errors.raise_if_any()
    assert region is not None and occupation is not None
    now = utcnow()
    permit = WorkPermit(
        number=await numbers.next_number(session, "WP", today.year), employer_id=employer.id, category=category,
        occupation_id=occupation.id, region_id=region.id, workers=workers, valid_months=valid_months,
        status=PermitStatus.REQUESTED, requested_at=now, updated_at=now, places_used=0)
    session.add(permit)
    await session.flush()
    await audit.record(session, viewer, "work_permit.request", "work_permit", permit.id, {
        "number": permit.number, "employerId": employer.id, "category": category, "occupation": occupation.code,
        "region": region.code, "workers": workers, "validMonths": valid_months, "status": PermitStatus.REQUESTED})
    return permit


async def lock_permit(session: AsyncSession, permit_id: int, *field: str) -> WorkPermit:
    return await locked(session, WorkPermit, permit_id, "work permit", field=field or PERMIT_ID)


async def decide_work_permit(session: AsyncSession, viewer: Viewer, *, permit_id: int, decision: Decision,
                             reason: str | None = None) -> WorkPermit:
    """APPROVE takes ``workers`` seats of the LABOUR quota for (region, occupation, year
    of the decision), QUOTA_EXHAUSTED when they do not fit (nothing changed); ICT takes
    none. REJECT needs a reason."""
    require_staff(viewer)
    decision = Decision(decision)
    errors = ErrorCollector()
    reason = optional_text(reason, REASON_MAX, "The reason", errors, "input", "reason")
    if decision == Decision.REJECT and reason is None:
        errors.invalid(t("a refusal must give its reason (1 to {most} characters)", most=REASON_MAX),
                       "input", "reason")
    errors.raise_if_any()
    permit = await lock_permit(session, permit_id)
    if permit.status != PermitStatus.REQUESTED:
        raise invalid_state(t("work permit {number} is already {status}; only a REQUESTED permit is decided",
                              number=permit.number, status=permit.status.value), *PERMIT_ID)
    today = today_almaty()
    now = utcnow()
    changes: dict[str, object] = {"decision": decision, "reason": reason}
    if decision == Decision.APPROVE:
        if permit.category != PermitCategory.ICT:
            quota = await quotas.take_labour_seats(session, region_id=permit.region_id,
                                                   occupation_id=permit.occupation_id, year=today.year,
                                                   seats=permit.workers, field=PERMIT_ID)
            permit.quota_id = quota.id
            changes.update({"quotaId": quota.id, "seats": permit.workers})
        permit.valid_from, permit.valid_until = labour.validity(today, permit.valid_months)
        changes.update({"validFrom": permit.valid_from, "validUntil": permit.valid_until})
        to = PermitStatus.APPROVED
    else:
        to = PermitStatus.REJECTED
    # Conditional on the status read above: two decisions of one permit cannot both count.
    result = await session.execute(
        update(WorkPermit).where(WorkPermit.id == permit.id, WorkPermit.status == PermitStatus.REQUESTED)
        .values(status=to, decided_at=now, decided_by=viewer.audit_subject, decision_reason=reason,
                quota_id=permit.quota_id, valid_from=permit.valid_from, valid_until=permit.valid_until,
                updated_at=now).execution_options(synchronize_session=False))
    if result.rowcount != 1:  # pragma: no cover - the row lock above serialises deciders
        raise invalid_state(t("work permit {number} was decided meanwhile", number=permit.number), *PERMIT_ID)
    await session.refresh(permit)
    await audit.record(session, viewer, "work_permit.decide", "work_permit", permit.id,
                       {"status": [PermitStatus.REQUESTED, to], **changes})
    return permit


# --------------------------------------------------------------------------
# a LABOUR application's permit


def places_left(workers: int, places_used: int) -> int:
    return workers - places_used


async def permit_for_application(session: AsyncSession, permit_id: int, *, region_id: int | None,
                                 occupation_id: int | None) -> WorkPermit:
    """The approved permit a LABOUR application names at submission: it must be in
    force, with a place left, for the application's region and occupation."""
    permit = await session.get(WorkPermit, permit_id)
    if permit is None:
        raise not_found("work permit", *PERMIT_ID)
    today = today_almaty()
    if permit.status != PermitStatus.APPROVED or permit.valid_until is None or permit.valid_until < today:
        raise invalid(t("work permit {number} is not an approved permit in force", number=permit.number),
                      *PERMIT_ID)
    if region_id is not None and permit.region_id != region_id:
        raise invalid(t("work permit {number} is for another region than the application's", number=permit.number),
                      *PERMIT_ID)
    if occupation_id is not None and permit.occupation_id != occupation_id:
        raise invalid(t("work permit {number} is for another occupation than the application's",
                        number=permit.number), *PERMIT_ID)
    if places_left(permit.workers, permit.places_used) <= 0:
        raise invalid(t("every place of work permit {number} is used ({workers} of {workers})",
                        number=permit.number, workers=permit.workers), *PERMIT_ID)
    return permit


async def use_permit_place(session: AsyncSession, permit_id: int) -> None:
    """One place of an approved permit in force, with one conditional UPDATE; INVALID_STATE
    when none is left (concurrent approvals never use more places than the permit's workers)."""
    today = today_almaty()
    result = await session.execute(
        update(WorkPermit)
        .where(WorkPermit.id == permit_id, WorkPermit.status == PermitStatus.APPROVED,
               WorkPermit.valid_until >= today, WorkPermit.places_used < WorkPermit.workers)
        .values(places_used=WorkPermit.places_used + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        number = (await session.execute(select(WorkPermit.number).where(WorkPermit.id == permit_id))).scalar_one()
        raise invalid_state(t("work permit {number} has no place left in force for this application",
                              number=number), "input", "applicationId")
