"""The events the services raise (the types are listed in ``catalogue``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from core.globalid import encode
from models import Application, Check, CheckType
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
