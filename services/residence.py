"""Living in the region (SPEC §13): residence events reported by the
address-registration authority, the breach cases a departure opens, and their
resolution by an officer.

- ``record_residence_event``: an agency holding the ``RESIDENCE`` grant reports
  that a person (matched by document to the applicant holding an ``ACTIVE``
  contract) REGISTERED, DEREGISTERED or MOVED. ``externalId`` is the reporter's
  own reference: a retry with the same one writes nothing and answers the first
  event; the same one with other content is ``DUPLICATE``.
- A ``MOVED`` to another region than the contract's, or a ``DEREGISTERED``,
  dated before the contract's end date opens a breach case (``OPEN``); while a
  case is open every later event of the contract is attached to it.
- ``resolve_breach``: ``CONFIRMED`` terminates the contract in the same
  transaction through the one termination rule
  (:func:`services.contracts.terminate_contract`: reason ``LEFT_REGION``,
  effective the date of the event that opened the case, the whole support to
  refund); ``DISMISSED`` closes the case and leaves the contract ``ACTIVE``.

Concurrency: every write here locks the contract row first (as every write of
``services.contracts`` does), then the case; so two officers resolving one case,
a case confirmed while an officer terminates the contract, and events reported
while a case is resolved run one after the other. The state changes are also
conditional updates, and the database keeps one open case per contract (a
partial unique index) and one event per (agency, external id).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

from sqlalchemy import and_, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.text import t
from models import Applicant, Application, ContractBreach, Region, ResidenceEvent, SocialContract
from models.base import utcnow
from models.enums import (
    AgencyGrantKind,
    BreachOutcome,
    BreachStatus,
    ContractStatus,
    ResidenceEventKind,
    TerminationReason,
)
from services import audit, contracts, rules
from services.errors import ErrorCode, ErrorCollector, ServiceError, forbidden, invalid_state
from services.viewer import Viewer
from services.webhooks import events as webhook_events

GRANT = AgencyGrantKind.RESIDENCE.value
EXTERNAL_ID_MAX = 100
NOTE_MAX = 2000
# Each ACTIVE contract needs a REGISTERED event in its region at least this often.
CONFIRMATION_DAYS = 365

EVENT_ID = ("input", "externalId")
BREACH_ID = ("input", "breachId")


# --------------------------------------------------------------------------
# the rules, as pure functions


def opens_breach(kind: ResidenceEventKind, event_region_id: int, contract_region_id: int,
                 occurred_on: dt.date, end_date: dt.date) -> bool:
    """Whether an event breaches the contract: leaving its region (a MOVED to another
    region, or a DEREGISTERED) before its end date."""
    if occurred_on >= end_date:
        return False
    kind = ResidenceEventKind(kind)
    return kind == ResidenceEventKind.DEREGISTERED or (
        kind == ResidenceEventKind.MOVED and event_region_id != contract_region_id)


def confirmation_cutoff(today: dt.date) -> dt.date:
    """A contract whose last REGISTERED event in its region (or, without one, its
    start) is before this date has its residence unconfirmed."""
    return today - dt.timedelta(days=CONFIRMATION_DAYS)


def residence_unconfirmed(status: ContractStatus, start_date: dt.date, last_registered: dt.date | None,
                          today: dt.date) -> bool:
    """The rule of :func:`unconfirmed_condition`, on values."""
    cutoff = confirmation_cutoff(today)
    return (ContractStatus(status) == ContractStatus.ACTIVE and start_date < cutoff
            and (last_registered is None or last_registered < cutoff))


def unconfirmed_condition(cutoff: dt.date | Any) -> Any:
    """The SQL condition "ACTIVE, and no REGISTERED event in its region for 365 days
    (counting from the start date for a new contract)" on ``SocialContract``;
    ``cutoff`` (:func:`confirmation_cutoff`) is a date or a bound parameter."""
    c, e = SocialContract, ResidenceEvent
    registered = exists().where(e.contract_id == c.id, e.kind == ResidenceEventKind.REGISTERED,
                                e.region_id == c.region_id, e.occurred_on >= cutoff)
    return and_(c.status == ContractStatus.ACTIVE, c.start_date < cutoff, ~registered)


def _citizenship_problem(code: str) -> str | None:
    if not re.fullmatch(r"[A-Z]{3}", code):
        return t("citizenship must be an ISO 3166-1 alpha-3 code of three capital letters, e.g. UZB (got {code})",
                 code=code[:12])
    return None


def _external_id_problem(external_id: str) -> str | None:
    if not external_id:
        return t("externalId is required: your own reference of the event, so that a retry records nothing twice")
    if len(external_id) > EXTERNAL_ID_MAX:
        return t("externalId must be at most {most} characters (got {length})", most=EXTERNAL_ID_MAX,
                 length=len(external_id))
    return None


# --------------------------------------------------------------------------
# recordResidenceEvent


def require_reporter(viewer: Viewer) -> None:
    if not viewer.may(GRANT):
        raise forbidden(t("only an agency granted {grant} (the address-registration authority) records residence "
                          "events", grant=GRANT))


@dataclasses.dataclass(frozen=True)
class _Reported:
    citizenship: str
    document_number: str
    kind: ResidenceEventKind
    region_id: int
    region_code: str
    occurred_on: dt.date

    def matches(self, event: ResidenceEvent) -> bool:
        return (event.citizenship, event.document_number, ResidenceEventKind(event.kind), event.region_id,
                event.occurred_on) == (self.citizenship, self.document_number, self.kind, self.region_id,
                                       self.occurred_on)


async def _by_external_id(session: AsyncSession, agency_id: int | None, external_id: str) -> ResidenceEvent | None:
    return (await session.execute(
        select(ResidenceEvent).where(ResidenceEvent.agency_id == agency_id, ResidenceEvent.external_id == external_id)
        .execution_options(populate_existing=True)
    )).scalar_one_or_none()


def _same_or_refused(existing: ResidenceEvent, reported: _Reported, external_id: str) -> ResidenceEvent:
    """A retry answers the first event; the same reference for another event is refused."""
    if reported.matches(existing):
        return existing
    raise ServiceError.one(ErrorCode.DUPLICATE, t(
        "externalId {external_id} was already used for another event (recorded {recorded}); a retry must send the "
        "same event, and a new event needs a new externalId", external_id=external_id,
        recorded=existing.recorded_at.date().isoformat()), EVENT_ID)


async def _matched_contract(session: AsyncSession, citizenship: str, document_number: str) -> int:
    """The ACTIVE contract of the applicant holding this document."""
    found = (await session.execute(
        select(SocialContract.id)
        .join(Application, Application.id == SocialContract.application_id)
        .join(Applicant, Applicant.id == Application.applicant_id)
        .where(Applicant.citizenship == citizenship, Applicant.document_number == document_number,
               SocialContract.status == ContractStatus.ACTIVE)
        .order_by(SocialContract.id)
    )).scalars().all()
    if not found:
        raise ServiceError.one(ErrorCode.NOT_FOUND, t(
            "no ACTIVE social contract is held by a person with document {citizenship} {document}",
            citizenship=citizenship, document=document_number), ("input", "documentNumber"))
    if len(found) > 1:
        raise invalid_state(t("the document {citizenship} {document} holds {count} ACTIVE social contracts; an "
                              "officer must look into it before residence events can be matched",
                              citizenship=citizenship, document=document_number, count=len(found)),
                            "input", "documentNumber")
    return found[0]


async def record_residence_event(
    session: AsyncSession, viewer: Viewer, *, citizenship: str, document_number: str, kind: ResidenceEventKind,
    region_code: str, occurred_on: dt.date, external_id: str,
) -> ResidenceEvent:
    require_reporter(viewer)
    kind = ResidenceEventKind(kind)
    errors = ErrorCollector()
    citizenship = (citizenship or "").strip().upper()
    errors.invalid(_citizenship_problem(citizenship), "input", "citizenship")
    errors.invalid(rules.document_number_problem(document_number), "input", "documentNumber")
    errors.invalid(rules.region_code_problem(region_code), "input", "regionCode")
    external_id = (external_id or "").strip()
    errors.invalid(_external_id_problem(external_id), *EVENT_ID)
    today = contracts.today()
    if occurred_on > today:
        errors.invalid(t("the event date {date} is after today ({today}, Asia/Almaty); report it once it has "
                         "happened", date=occurred_on.isoformat(), today=today.isoformat()), "input", "occurredOn")
    errors.raise_if_any()
    region_code = rules.normalise_region_code(region_code)
    region_id = (await session.execute(select(Region.id).where(Region.code == region_code))).scalar_one()
    reported = _Reported(citizenship, rules.normalise_document_number(document_number), kind, region_id,
                         region_code, occurred_on)

    existing = await _by_external_id(session, viewer.agency_id, external_id)
    if existing is not None:  # a retry (even once the contract has ended)
        return _same_or_refused(existing, reported, external_id)
    contract = await contracts.lock_contract(
        session, await _matched_contract(session, reported.citizenship, reported.document_number))
    # A retry that raced this one waited for the lock above: its event is now visible.
    existing = await _by_external_id(session, viewer.agency_id, external_id)
    if existing is not None:
        return _same_or_refused(existing, reported, external_id)
    if contract.status != ContractStatus.ACTIVE:  # ended while we waited for the lock
        raise ServiceError.one(ErrorCode.NOT_FOUND, t(
            "no ACTIVE social contract is held by a person with document {citizenship} {document}",
            citizenship=reported.citizenship, document=reported.document_number), ("input", "documentNumber"))
    if occurred_on < contract.start_date:
        raise ServiceError.one(ErrorCode.INVALID_INPUT, t(
            "the event date {date} is before the start of the person's contract ({start}); only residence during "
            "the contract is reported", date=occurred_on.isoformat(), start=contract.start_date.isoformat()),
            ("input", "occurredOn"))

    open_case = (await session.execute(
        select(ContractBreach).where(ContractBreach.contract_id == contract.id,
                                     ContractBreach.status == BreachStatus.OPEN)
        .with_for_update().execution_options(populate_existing=True)
    )).scalar_one_or_none()
    opened = open_case is None and opens_breach(kind, region_id, contract.region_id, occurred_on, contract.end_date)
    now = utcnow()
    try:
        async with session.begin_nested():
            case = open_case
            if opened:
                case = ContractBreach(contract_id=contract.id, status=BreachStatus.OPEN, opened_on=occurred_on,
                                      opened_at=now)
                session.add(case)
                await session.flush()
            event = ResidenceEvent(
                agency_id=viewer.agency_id, external_id=external_id, citizenship=reported.citizenship,
                document_number=reported.document_number, kind=kind, region_id=region_id, occurred_on=occurred_on,
                contract_id=contract.id, breach_id=case.id if case is not None else None, recorded_at=now)
            session.add(event)
            await session.flush()
    except IntegrityError:
        # The same reference, committed a moment ago by a request for another person.
        existing = await _by_external_id(session, viewer.agency_id, external_id)
        if existing is None:  # pragma: no cover - only a unique violation brings us here
            raise
        return _same_or_refused(existing, reported, external_id)
    await audit.record(session, viewer, "residence_event.record", "social_contract", contract.id, {
        "eventId": event.id, "externalId": external_id, "kind": kind, "regionCode": region_code,
        "occurredOn": occurred_on, "breachId": event.breach_id, "breachOpened": opened,
    })
    await webhook_events.residence_recorded(session, event, region_code)  # to the reporter, after commit
    return event


# --------------------------------------------------------------------------
# resolveBreach


def require_officer(viewer: Viewer) -> None:
    if not viewer.is_staff:
        raise forbidden(t("only officers and administrators resolve breach cases"))


def _on_breach(exc: ServiceError) -> ServiceError:
    """The termination's refusal, on the field the caller sent (``breachId``)."""
    return ServiceError([dataclasses.replace(e, field=BREACH_ID) for e in exc.errors])


async def resolve_breach(
    session: AsyncSession, viewer: Viewer, *, breach_id: int, outcome: BreachOutcome, note: str | None = None
) -> ContractBreach:
    require_officer(viewer)
    outcome = BreachOutcome(outcome)
    contract_id = (await session.execute(
        select(ContractBreach.contract_id).where(ContractBreach.id == breach_id))).scalar_one_or_none()
    if contract_id is None:
        raise ServiceError.one(ErrorCode.NOT_FOUND, t("breach case not found"), BREACH_ID)
    # The contract first, then the case: the order every write on a contract takes.
    contract = await contracts.lock_contract(session, contract_id)
    case = (await session.execute(
        select(ContractBreach).where(ContractBreach.id == breach_id)
        .with_for_update().execution_options(populate_existing=True)
    )).scalar_one()
    if case.status != BreachStatus.OPEN:
        raise invalid_state(t("this breach case is already {status} (by {who}); a case is resolved once",
                              status=BreachStatus(case.status).value, who=case.resolved_by or "—"), *BREACH_ID)
    if outcome == BreachOutcome.CONFIRMED and contract.status != ContractStatus.ACTIVE:
        raise invalid_state(t("the contract is already {status}: confirming the breach would end it a second time; "
                              "dismiss the case instead", status=ContractStatus(contract.status).value), *BREACH_ID)
    text = (note or "").strip()
    if not text or len(text) > NOTE_MAX:
        raise ServiceError.one(ErrorCode.INVALID_INPUT, t(
            "a note of 1 to {most} characters says why the case is resolved so (got {length})", most=NOTE_MAX,
            length=len(text)), ("input", "note"))

    termination: dict[str, Any] = {}
    if outcome == BreachOutcome.CONFIRMED:
        try:
            await contracts.terminate_contract(session, viewer, contract_id=contract.id,
                                               reason=TerminationReason.LEFT_REGION, effective_date=case.opened_on)
        except ServiceError as exc:
            raise _on_breach(exc) from None
        termination = {"contractStatus": contract.status, "effectiveDate": case.opened_on,
                       "reason": TerminationReason.LEFT_REGION}
    new_status = BreachStatus(outcome.value)
    now = utcnow()
    result = await session.execute(
        update(ContractBreach).where(ContractBreach.id == case.id, ContractBreach.status == BreachStatus.OPEN)
        .values(status=new_status, resolved_at=now, resolved_by=viewer.audit_subject, note=text)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # pragma: no cover - the locks above make this unreachable
        raise invalid_state(t("the breach case was resolved by someone else a moment ago"), *BREACH_ID)
    case.status, case.resolved_at, case.resolved_by, case.note = new_status, now, viewer.audit_subject, text
    await audit.record(session, viewer, "contract_breach.resolve", "social_contract", contract.id, {
        "breachId": case.id, "status": [BreachStatus.OPEN, new_status], "note": text, **termination,
    })
    return case


async def breach_events(session: AsyncSession, breach_id: int) -> list[tuple[ResidenceEvent, str]]:
    """The events attached to a breach case, oldest first, each with its region's code."""
    return [(event, code) for event, code in (await session.execute(
        select(ResidenceEvent, Region.code).join(Region, Region.id == ResidenceEvent.region_id)
        .where(ResidenceEvent.breach_id == breach_id).order_by(ResidenceEvent.occurred_on, ResidenceEvent.id))).all()]
