"""Webhook endpoints of partner agencies (the secret is never a field: it is
shown once, in ``RegisterWebhookPayload``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from sqlalchemy import select

import models as m
from api.graphql import ids
from api.graphql.context import Info
from api.graphql.types.common import Node, linked_field
from api.graphql.types.reference import Agency
from services import access
from services.webhooks import DESCRIPTIONS, EventType

WebhookEventType = strawberry.enum(  # type: ignore[misc]
    EventType, name="WebhookEventType",
    description="What a partner agency's webhook endpoint may be told (the event's `type` in its body). "
                + " ".join(f"{e.name} (`{e.value}`): {DESCRIPTIONS[e]}" for e in EventType))


@strawberry.type(description="A partner agency's HTTPS endpoint for signed webhooks (Standard Webhooks).")
class WebhookEndpoint(Node):
    url: str
    events: list[WebhookEventType]  # type: ignore[valid-type]
    active: bool
    created_at: dt.datetime
    disabled_at: dt.datetime | None
    agency_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, r: Any) -> "WebhookEndpoint":
        return cls(id=strawberry.ID(ids.encode("WebhookEndpoint", r.id)), url=r.url,
                   events=[EventType(e) for e in r.events], active=r.active, created_at=r.created_at,
                   disabled_at=r.disabled_at, agency_id=r.agency_id)

    agency = linked_field(Agency, m.Agency, "agency_id")


async def webhook_endpoints(info: Info, agency_code: str | None) -> list[WebhookEndpoint]:
    """The endpoints the caller reaches (its own; every agency's for administrators), oldest first."""
    stmt = select(m.WebhookEndpoint).where(access.webhook_endpoints(info.context.viewer)).order_by(m.WebhookEndpoint.id)
    if agency_code is not None:
        stmt = stmt.join(m.Agency, m.Agency.id == m.WebhookEndpoint.agency_id).where(
            m.Agency.code == agency_code.strip().upper())
    async with info.context.read() as session:
        rows = (await session.execute(stmt)).scalars().all()
    return [WebhookEndpoint.from_row(r) for r in rows]
