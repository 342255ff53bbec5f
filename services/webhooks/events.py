"""The events the services raise (the types are listed in ``catalogue``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from core.globalid import encode
from models import Application, Check, CheckType, ResidenceEvent, Violation
from services.webhooks.catalogue import EventType
from services.webhooks.outbox import agencies_with_endpoints, enqueue


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
            "application": {"id": encode("Application", app.id), "number": app.number, "dueDate": app.due_date},
            "checks": [{"id": encode("Check", c.id), "checkType": t.code, "requestedAt": c.requested_at}
                       for c, t in checks],
        }
        queued += len(await enqueue(session, agency_id=agency_id, event_type=EventType.CHECK_REQUESTED.value,
                                    payload=payload))
    return queued


async def residence_recorded(session: AsyncSession, event: ResidenceEvent, region_code: str) -> int:
    """``residence.recorded`` to the agency that reported ``event`` (a flushed row):
    the event as it was sent, with its id, nothing of the contract or the breach
    case. Returns how many deliveries were queued."""
    payload = {"residenceEvent": {
        "id": encode("ResidenceEvent", event.id), "externalId": event.external_id, "kind": event.kind,
        "citizenship": event.citizenship, "documentNumber": event.document_number, "regionCode": region_code,
        "occurredOn": event.occurred_on, "recordedAt": event.recorded_at,
    }}
    return len(await enqueue(session, agency_id=event.agency_id, event_type=EventType.RESIDENCE_RECORDED.value,
                             payload=payload))


async def violation_recorded(session: AsyncSession, violation: Violation) -> int:
    """``violation.recorded`` to the agency whose key recorded ``violation`` (a
    flushed row; none when an officer did), with the fields it reads back."""
    if violation.agency_id is None:
        return 0
    payload = {"violation": {
        "id": encode("Violation", violation.id), "externalId": violation.external_id, "kind": violation.kind,
        "occurredOn": violation.occurred_on, "fineMrp": violation.fine_mrp, "recordedAt": violation.recorded_at,
    }}
    return len(await enqueue(session, agency_id=violation.agency_id, event_type=EventType.VIOLATION_RECORDED.value,
                             payload=payload))
