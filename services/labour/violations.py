"""Violations (SPEC §15): ``recordViolation`` by officers and by the partner agency
granted ``RECORD_VIOLATIONS`` (the migration service), idempotent on
``externalId``. An employer's violations decide its suspension (reference data:
``suspension_rule``); an applicant's are scoring facts (``record.violations``,
``record.falseDocuments``), so a scored, undecided application of that person
whose facts change goes back to SUBMITTED with its score stale, as any stage
write that changes a fact does."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.text import t
from models import AgencyPermission, Application, SuspensionRule, Violation
from models.base import today_almaty, utcnow
from models.enums import ViolationKind
from services import audit, reference_data, scoring_models
from services.applications.scores import facts_before_write, mark_score_stale
from services.errors import ErrorCode, ErrorCollector, ServiceError, forbidden, not_found
from services.labour import rules as labour
from services.labour.employers import lock_employer
from services.viewer import Viewer
from services.webhooks import events as webhook_events

EXTERNAL_ID_MAX = 100
FINE_MRP_MAX = 100_000
DATE_MIN = dt.date(2000, 1, 1)


async def may_record(session: AsyncSession, viewer: Viewer) -> bool:
    if viewer.is_staff:
        return True
    if viewer.is_agency and viewer.agency_id is not None:
        return (await session.execute(select(AgencyPermission.id).where(
            AgencyPermission.agency_id == viewer.agency_id,
            AgencyPermission.permission == reference_data.RECORD_VIOLATIONS))).first() is not None
    return False


async def suspension_rule(session: AsyncSession) -> tuple[int, int, int]:
    """(violations, window months, suspension months) of the employers' rule; the seeded
    values when the row is missing."""
    row = (await session.execute(select(SuspensionRule).where(
        SuspensionRule.code == reference_data.EMPLOYER_SUSPENSION))).scalar_one_or_none()
    if row is not None:
        return row.violations, row.window_months, row.suspension_months
    seeded = next(r for r in reference_data.SUSPENSION_RULES if r["code"] == reference_data.EMPLOYER_SUSPENSION)
    return seeded["violations"], seeded["window_months"], seeded["suspension_months"]


def _same(row: Violation, values: dict[str, object]) -> bool:
    return all(getattr(row, k) == v for k, v in values.items())


async def record_violation(
    session: AsyncSession, viewer: Viewer, *, kind: ViolationKind, occurred_on: dt.date, external_id: str,
    fine_mrp: int = 0, employer_id: int | None = None, application_id: int | None = None,
) -> Violation:
    if not await may_record(session, viewer):
        raise forbidden(t("only officers, administrators and the migration service may record violations"))
    kind = ViolationKind(kind)
    today = today_almaty()
    errors = ErrorCollector()
    external = (external_id or "").strip()
    if not 1 <= len(external) <= EXTERNAL_ID_MAX:
        errors.invalid(t("externalId is 1 to {most} characters (got {length})", most=EXTERNAL_ID_MAX,
                         length=len(external)), "input", "externalId")
    if (employer_id is None) == (application_id is None):
        errors.invalid(t("a violation is of an employer or of an applicant: give employerId or applicationId, "
                         "not both"), "input", "employerId")
    if occurred_on > today:
        errors.invalid(t("a violation is recorded once it happened: {date} is after today ({today})",
                         date=occurred_on.isoformat(), today=today.isoformat()), "input", "occurredOn")
    elif occurred_on < DATE_MIN:
        errors.invalid(t("occurredOn must not be before {earliest}", earliest=DATE_MIN.isoformat()),
                       "input", "occurredOn")
    if not 0 <= fine_mrp <= FINE_MRP_MAX:
        errors.invalid(t("fineMrp is from 0 to {most} MRP (got {fine})", most=FINE_MRP_MAX, fine=fine_mrp),
                       "input", "fineMrp")
    errors.raise_if_any()
    values: dict[str, object] = {"kind": kind, "occurred_on": occurred_on, "fine_mrp": fine_mrp,
                                 "employer_id": employer_id, "application_id": application_id}
    existing = (await session.execute(select(Violation).where(Violation.external_id == external))).scalar_one_or_none()
    if existing is not None:
        return _replayed(existing, values, external)

    employer = await lock_employer(session, employer_id) if employer_id is not None else None
    app: Application | None = None
    if application_id is not None:
        app = (await session.execute(select(Application).where(Application.id == application_id)
                                     .with_for_update())).scalar_one_or_none()
        if app is None:
            raise not_found("application", "input", "applicationId")
    # The applicant's scored, undecided applications, with their facts before this violation.
    before = []
    if app is not None:
        apps = (await session.execute(select(Application).where(
            Application.applicant_id == app.applicant_id,
            Application.status.in_(scoring_models.SCORED_UNDECIDED)).order_by(Application.id))).scalars().all()
        before = [(a, await facts_before_write(session, a)) for a in apps]
    row = Violation(external_id=external, applicant_id=app.applicant_id if app else None, recorded_at=utcnow(),
                    recorded_by=viewer.audit_subject, agency_id=viewer.agency_id if viewer.is_agency else None,
                    **values)
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:  # the same externalId recorded a moment ago
        existing = (await session.execute(select(Violation).where(Violation.external_id == external))).scalar_one()
        return _replayed(existing, values, external)
    changes: dict[str, object] = {"externalId": external, **{k: v for k, v in values.items() if v is not None}}
    if employer is not None:
        threshold, window, months = await suspension_rule(session)
        dates = (await session.execute(select(Violation.occurred_on).where(
            Violation.employer_id == employer.id))).scalars().all()
        until = labour.suspension_end(dates, violations=threshold, window_months=window, suspension_months=months)
        if until is not None and until != employer.suspended_until and (
                employer.suspended_until is None or until > employer.suspended_until):
            changes["employerSuspendedUntil"] = [employer.suspended_until, until]
            employer.suspended_until = until
            employer.updated_at = utcnow()
            await session.flush()
    await audit.record(session, viewer, "violation.record", "violation", row.id, changes)
    await webhook_events.violation_recorded(session, row)  # to the recording agency, after commit
    for other, facts in before:
        await mark_score_stale(session, viewer, other, facts)
    return row


def _replayed(existing: Violation, values: dict[str, object], external: str) -> Violation:
    """The same externalId again: the violation already recorded when it says the same;
    CONFLICT when it says something else."""
    if _same(existing, values):
        return existing
    raise ServiceError.one(ErrorCode.CONFLICT, t(
        "violation {external} is already recorded with other details; an external id names one violation",
        external=external), ["input", "externalId"])

