"""The events the services raise (the types are listed in ``catalogue``).

A payload carries a row as the receiving agency would read it over GraphQL:
its fields by their GraphQL names, only those ``services.access`` lets an agency
read (``agency_view``), so a field hidden from agencies never goes out in a
webhook. The residence and violation events send every field an agency reads of
the row, but those in ``NOT_SENT``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.globalid import encode
from models import Application, Check, CheckType, ResidenceEvent, Violation
from services import access
from services.webhooks.catalogue import EventType
from services.webhooks.outbox import agencies_with_endpoints, enqueue

# Fields an agency reads that a webhook leaves out: the agency that reported a
# residence event is the one that receives it.
NOT_SENT: dict[str, frozenset[str]] = {"ResidenceEvent": frozenset({"reportedBy"})}


def agency_view(type_name: str, values: Mapping[str, Any], *, sent_as: Mapping[str, str] | None = None
                ) -> dict[str, Any]:
    """The ``values`` of a ``type_name`` row (by GraphQL field name) an agency reads,
    as ``access.FIELDS`` declares, in their order, but those ``NOT_SENT``;
    ``sent_as`` names a field otherwise in the payload (a linked row sent as its code)."""
    renamed, left_out = sent_as or {}, NOT_SENT.get(type_name, frozenset())
    return {renamed.get(name, name): value for name, value in values.items()
            if name not in left_out and access.Caller.AGENCY in access.field_readers(type_name, name)}


async def checks_requested(session: AsyncSession, app: Application,
                           requested: Iterable[tuple[Check, CheckType]]) -> int:
    """``check.requested`` to each agency owning one of the ``requested`` checks
    (flushed rows), one event per agency. Returns how many deliveries were queued."""
    by_agency: dict[int, list[tuple[Check, CheckType]]] = defaultdict(list)
    for check, check_type in requested:
        by_agency[check_type.agency_id].append((check, check_type))
    listening = await agencies_with_endpoints(session, by_agency)  # one query: most agencies have none
    by_agency = {a: checks for a, checks in by_agency.items() if a in listening}
    queued = 0
    for agency_id, checks in sorted(by_agency.items()):
        payload = {
            "application": agency_view("Application", {"id": encode("Application", app.id), "number": app.number,
                                                       "dueDate": app.due_date}),
            "checks": [agency_view("Check", {"id": encode("Check", c.id), "checkType": t.code,
                                             "requestedAt": c.requested_at}) for c, t in checks],
        }
        queued += len(await enqueue(session, agency_id=agency_id, event_type=EventType.CHECK_REQUESTED.value,
                                    payload=payload))
    return queued


def residence_payload(event: ResidenceEvent, region_code: str) -> dict[str, Any]:
    """What ``residence.recorded`` sends of ``event``: the event as it was sent, with
    its id and its region's code; nothing of the contract or the breach case (the
    access declaration hides them from agencies)."""
    return {"residenceEvent": agency_view("ResidenceEvent", {
        "id": encode("ResidenceEvent", event.id), "externalId": event.external_id, "kind": event.kind,
        "citizenship": event.citizenship, "documentNumber": event.document_number, "region": region_code,
        "occurredOn": event.occurred_on, "recordedAt": event.recorded_at,
        "reportedBy": encode("Agency", event.agency_id), "contract": encode("SocialContract", event.contract_id),
        "breach": None if event.breach_id is None else encode("ContractBreach", event.breach_id),
    }, sent_as={"region": "regionCode"})}


async def residence_recorded(session: AsyncSession, event: ResidenceEvent, region_code: str) -> int:
    """``residence.recorded`` to the agency that reported ``event`` (a flushed row).
    Returns how many deliveries were queued."""
    return len(await enqueue(session, agency_id=event.agency_id, event_type=EventType.RESIDENCE_RECORDED.value,
                             payload=residence_payload(event, region_code)))


def violation_payload(violation: Violation) -> dict[str, Any]:
    """What ``violation.recorded`` sends of ``violation``: the fields its agency reads
    back; not whose it is (employer, application: hidden from agencies)."""
    return {"violation": agency_view("Violation", {
        "id": encode("Violation", violation.id), "externalId": violation.external_id, "kind": violation.kind,
        "occurredOn": violation.occurred_on, "fineMrp": violation.fine_mrp, "recordedAt": violation.recorded_at,
        "employer": None if violation.employer_id is None else encode("Employer", violation.employer_id),
        "application": None if violation.application_id is None else encode("Application", violation.application_id),
    })}


async def violation_recorded(session: AsyncSession, violation: Violation) -> int:
    """``violation.recorded`` to the agency whose key recorded ``violation`` (a
    flushed row; none when an officer did). Returns how many deliveries were queued."""
    if violation.agency_id is None:
        return 0
    return len(await enqueue(session, agency_id=violation.agency_id, event_type=EventType.VIOLATION_RECORDED.value,
                             payload=violation_payload(violation)))
