"""Sending a delivery: one try at a time, signed the Standard Webhooks way.

A try is three steps, so that no transaction stays open while a receiver is
slow and two workers never send one delivery at once:

1. ``claim`` (one short transaction, the row locked): a PENDING delivery that
   is due counts one more try and is leased (``next_attempt_at`` moves past the
   time a try may take), so no other worker or sweep picks it meanwhile;
2. the POST, outside any transaction: the body is the event's JSON, with the
   headers ``webhook-id`` (the delivery's message id, the same on every try),
   ``webhook-timestamp`` and ``webhook-signature`` (``v1,`` HMAC-SHA256 of
   ``id.timestamp.body`` with the endpoint's secret, by ``standardwebhooks``);
   a 2xx answer is a success, anything else (or no answer within
   ``QONYS_WEBHOOK_TIMEOUT_S``) a failure; redirects are not followed;
3. ``record`` (one transaction): the try is logged (``webhook_attempt``); a
   success makes the delivery DELIVERED, a failure PENDING again after
   ``QONYS_WEBHOOK_BACKOFF_S * 2**(tries - 1)`` seconds, or FAILED after
   ``MAX_ATTEMPTS`` tries.

A worker that dies between 1 and 3 leaves the delivery PENDING; it is due again
once the lease ends, so an event may reach a receiver twice (with the same
``webhook-id``), never zero times."""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks import Webhook

from core.db import transaction
from core.settings import Settings
from core.text import t
from models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from models.base import utcnow, wall_clock
from models.enums import WebhookDeliveryStatus
from services import audit
from services.errors import forbidden, invalid_state, not_found
from services.rows import assign
from services.viewer import SYSTEM, Viewer
from services.webhooks.endpoints import address_problem, url_problem
from services.webhooks.outbox import note_queued

MAX_ATTEMPTS = 8
LEASE_MARGIN_S = 30.0
ERROR_MAX = 500
USER_AGENT = "qonys-webhooks/1"
PENDING, DELIVERED, FAILED = (WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.DELIVERED,
                              WebhookDeliveryStatus.FAILED)


def backoff(settings: Settings, tries: int) -> dt.timedelta:
    """How long a delivery waits after its ``tries``-th failed try (exponential)."""
    return dt.timedelta(seconds=settings.webhook_backoff_s * 2 ** max(0, tries - 1))


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    number: int  # this try's number, from 1
    url: str
    secret: str
    message_id: str
    body: bytes


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def signed_headers(secret: str, message_id: str, body: bytes, at: dt.datetime | None = None) -> dict[str, str]:
    """The Standard Webhooks headers of ``body`` (the timestamp is the real clock's:
    receivers compare it with theirs)."""
    at = at or wall_clock()
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


async def _end(session: AsyncSession, delivery: WebhookDelivery, status: WebhookDeliveryStatus,
               error: str | None) -> None:
    delivery.status = status
    delivery.last_error = error
    delivery.updated_at = utcnow()
    if status == DELIVERED:
        delivery.delivered_at = delivery.updated_at
    await session.flush()
    action = "webhook.delivered" if status == DELIVERED else "webhook.failed"
    await audit.record(session, SYSTEM, action, "webhook_delivery", delivery.id,
                       {"status": [PENDING, status], "attempts": delivery.attempts, "error": error})


async def claim(session: AsyncSession, settings: Settings, delivery_id: int) -> Claim | None:
    """Lease a due PENDING delivery for one try; None when it is not due, not
    pending, or being tried by another worker. A delivery whose endpoint was
    disabled or deleted fails without a try."""
    delivery = (await session.execute(
        select(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
        .with_for_update(skip_locked=True))).scalar_one_or_none()
    now = utcnow()
    if delivery is None or delivery.status != PENDING or delivery.next_attempt_at > now:
        return None
    endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None or not endpoint.active or endpoint.deleted_at is not None:
        await _end(session, delivery, FAILED, t("the endpoint is disabled"))
        return None
    delivery.attempts += 1
    delivery.next_attempt_at = now + dt.timedelta(seconds=settings.webhook_timeout_s + LEASE_MARGIN_S)
    delivery.updated_at = now
    await session.flush()
    return Claim(delivery.id, delivery.attempts, endpoint.url, endpoint.secret, delivery.message_id,
                 body_of(delivery.payload))


async def send(claim: Claim, settings: Settings, client: httpx.AsyncClient | None = None) -> Outcome:
    """POST the claimed delivery once. Never raises: a failure is an ``Outcome``."""
    started = time.monotonic()
    development = not settings.production

    def done(status_code: int | None, error: str | None) -> Outcome:
        return Outcome(status_code, error[:ERROR_MAX] if error else None, int((time.monotonic() - started) * 1000))

    problem = url_problem(claim.url, development=development) or await address_problem(
        claim.url, development=development)
    if problem:
        return done(None, t("refused: {problem}", problem=problem))
    headers = signed_headers(claim.secret, claim.message_id, claim.body)
    try:
        if client is None:
            async with httpx.AsyncClient(timeout=settings.webhook_timeout_s, follow_redirects=False) as own:
                response = await own.post(claim.url, content=claim.body, headers=headers)
        else:
            response = await client.post(claim.url, content=claim.body, headers=headers)
    except httpx.HTTPError as exc:
        return done(None, t("no answer ({error}): {detail}", error=type(exc).__name__, detail=str(exc) or "-"))
    error = None if 200 <= response.status_code < 300 else t("HTTP {status}", status=response.status_code)
    return done(response.status_code, error)


async def record(session: AsyncSession, settings: Settings, claim: Claim, outcome: Outcome) -> WebhookDelivery | None:
    """Log the try and move the delivery on (DELIVERED, PENDING later, or FAILED)."""
    session.add(WebhookAttempt(delivery_id=claim.delivery_id, number=claim.number, at=utcnow(),
                               status_code=outcome.status_code, error=outcome.error, duration_ms=outcome.duration_ms))
    delivery = (await session.execute(
        select(WebhookDelivery).where(WebhookDelivery.id == claim.delivery_id).with_for_update())).scalar_one_or_none()
    if delivery is None or delivery.status != PENDING or delivery.attempts != claim.number:
        await session.flush()
        return delivery  # re-sent or ended meanwhile: the log keeps the try, the row its newer state
    if outcome.ok:
        await _end(session, delivery, DELIVERED, None)
    elif delivery.attempts >= MAX_ATTEMPTS:
        await _end(session, delivery, FAILED, outcome.error)
    else:
        delivery.next_attempt_at = utcnow() + backoff(settings, delivery.attempts)
        delivery.last_error = outcome.error
        delivery.updated_at = utcnow()
        await session.flush()
    return delivery


async def attempt_delivery(sessions: async_sessionmaker[AsyncSession], settings: Settings, delivery_id: int, *,
                           client: httpx.AsyncClient | None = None) -> WebhookDelivery | None:
    """One try of the delivery when it is due (claim, POST, record); None when it
    was not due or not pending. Returns the delivery as the try left it."""
    async with transaction(sessions) as session:
        claimed = await claim(session, settings, delivery_id)
    if claimed is None:
        return None
    outcome = await send(claimed, settings, client)
    async with transaction(sessions) as session:
        return await record(session, settings, claimed, outcome)


async def due(session: AsyncSession, *, limit: int = 100) -> list[int]:
    """PENDING deliveries whose time has come, oldest first."""
    return list((await session.execute(
        select(WebhookDelivery.id).where(WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at <= utcnow())
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit))).scalars())


async def next_due_at(session: AsyncSession) -> dt.datetime | None:
    """When the next PENDING delivery is due (None: nothing is pending)."""
    return (await session.execute(
        select(func.min(WebhookDelivery.next_attempt_at)).where(WebhookDelivery.status == PENDING))).scalar_one()


async def resend_delivery(session: AsyncSession, viewer: Viewer, *, delivery_id: int) -> WebhookDelivery:
    """Send a FAILED (or already DELIVERED) delivery again, with the same
    ``webhook-id`` and a fresh count of ``MAX_ATTEMPTS`` tries (administrators)."""
    if not viewer.is_admin:
        raise forbidden(t("Only administrators may re-send webhook deliveries."))
    delivery = (await session.execute(
        select(WebhookDelivery).where(WebhookDelivery.id == delivery_id).with_for_update())).scalar_one_or_none()
    if delivery is None:
        raise not_found("webhook delivery", "deliveryId")
    if delivery.status == PENDING:
        raise invalid_state(t("This delivery is still waiting to be sent."), "deliveryId")
    endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None or not endpoint.active or endpoint.deleted_at is not None:
        raise invalid_state(t("The endpoint of this delivery is disabled or deleted; it cannot be re-sent."),
                            "deliveryId")
    now = utcnow()
    before = assign(delivery, {"status": PENDING, "attempts": 0, "next_attempt_at": now, "delivered_at": None,
                               "last_error": None, "updated_at": now})
    await session.flush()
    await audit.record(session, viewer, "webhook.resend", "webhook_delivery", delivery.id,
                       {"status": [before["status"], PENDING], "previousAttempts": before["attempts"]})
    note_queued(session, [delivery.id])
    return delivery
