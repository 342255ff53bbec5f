"""The outbox: an event becomes one ``webhook_delivery`` row per endpoint of its
agency that takes it, written in the caller's transaction, so that it exists
exactly when the change it announces was committed (a rolled-back change sends
nothing). Nothing is sent here: the ids of the new rows wait on the session
(``queued``) for whoever commits it to hand them to the sender after commit
(``services.webhooks.worker.after_commit``); what is never handed over is found
by the sweep (``qonys worker``) or ``qonys worker --inline``."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import WebhookDelivery, WebhookEndpoint
from models.base import utcnow
from models.enums import WebhookDeliveryStatus
from services.audit import plain
from services.webhooks.catalogue import EventType

QUEUED = "qonys.webhook_deliveries"


def message_id() -> str:
    """A delivery's ``webhook-id``: the same on every try, unique across deliveries."""
    return f"msg_{uuid.uuid4().hex}"


def iso(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _active() -> list[Any]:
    return [WebhookEndpoint.active.is_(True), WebhookEndpoint.deleted_at.is_(None)]


async def agencies_with_endpoints(session: AsyncSession, agency_ids: Iterable[int]) -> set[int]:
    """Which of these agencies have an active endpoint (to skip building events nobody takes)."""
    wanted = sorted(set(agency_ids))
    if not wanted:
        return set()
    return set((await session.execute(
        select(WebhookEndpoint.agency_id).where(WebhookEndpoint.agency_id.in_(wanted), *_active()).distinct()
    )).scalars())


async def enqueue(session: AsyncSession, *, agency_id: int, event_type: str, payload: dict[str, Any]
                  ) -> list[WebhookDelivery]:
    """Queue the event ``event_type`` (an ``EventType`` value) with ``payload``
    (its ``data``: plain values, dates, decimals and enums become JSON) for every
    active endpoint of the agency that takes it, in the caller's transaction.
    Returns the deliveries written (none when no endpoint takes it)."""
    event_type = EventType(event_type).value  # an unknown type is a programming error
    endpoints = (await session.execute(
        select(WebhookEndpoint).where(WebhookEndpoint.agency_id == agency_id, *_active()).order_by(WebhookEndpoint.id)
    )).scalars().all()
    targets = [e for e in endpoints if event_type in (e.events or [])]
    if not targets:
        return []
    now = utcnow()
    body = {"type": event_type, "timestamp": iso(now), "data": plain(payload)}
    deliveries = [
        WebhookDelivery(endpoint_id=e.id, agency_id=agency_id, message_id=message_id(), event_type=event_type,
                        payload=body, status=WebhookDeliveryStatus.PENDING, attempts=0, next_attempt_at=now,
                        created_at=now, updated_at=now)
        for e in targets
    ]
    session.add_all(deliveries)
    await session.flush()
    note_queued(session, [d.id for d in deliveries])
    return deliveries


def note_queued(session: AsyncSession, ids: list[int]) -> None:
    """Remember deliveries due now, to be handed to the sender once the session commits."""
    session.info.setdefault(QUEUED, []).extend(ids)


def queued(session: AsyncSession) -> list[int]:
    """The deliveries the session queued (taken: a second call returns none)."""
    return list(session.info.pop(QUEUED, []))
