"""Webhooks to partner agencies: their endpoints, the outbox of deliveries
(written in the transaction of the change they announce) and each try's log."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from models.base import Table
from models.enums import WebhookDeliveryStatus
from models.types import JSONType, UTCDateTime, column, str_enum, utc_now_column


class WebhookEndpoint(Table, table=True):
    """An agency's HTTPS endpoint and the event types it takes. ``secret`` signs
    (Standard Webhooks, ``whsec_…``); it is shown once, at registration, and
    never read back through the API or the admin panel."""

    agency_id: int = column(sa.ForeignKey("agency.id", ondelete="RESTRICT"), index=True)
    url: str = column(sa.String(2000))
    events: list[str] = column(JSONType, default_factory=list)
    secret: str = column(sa.String(100))
    active: bool = column(sa.Boolean(), default=True)
    created_at: dt.datetime = utc_now_column()
    created_by: str = column(sa.String(200))
    disabled_at: dt.datetime | None = column(UTCDateTime(), nullable=True)
    deleted_at: dt.datetime | None = column(UTCDateTime(), nullable=True)


class WebhookDelivery(Table, table=True):
    """One event for one endpoint (the outbox): ``message_id`` is its
    ``webhook-id`` on every try, so a receiver can drop a repeat."""

    __table_args__ = (sa.Index("ix_webhook_delivery_due", "status", "next_attempt_at"),)

    endpoint_id: int = column(sa.ForeignKey("webhook_endpoint.id", ondelete="RESTRICT"), index=True)
    agency_id: int = column(sa.ForeignKey("agency.id", ondelete="RESTRICT"), index=True)
    message_id: str = column(sa.String(60), unique=True)
    event_type: str = column(sa.String(80))
    payload: dict[str, Any] = column(JSONType, default_factory=dict)
    status: WebhookDeliveryStatus = column(str_enum(WebhookDeliveryStatus, "webhook_delivery_status"))
    attempts: int = column(sa.Integer(), default=0)
    next_attempt_at: dt.datetime = utc_now_column()
    created_at: dt.datetime = utc_now_column()
    updated_at: dt.datetime = utc_now_column()
    delivered_at: dt.datetime | None = column(UTCDateTime(), nullable=True)
    last_error: str | None = column(sa.String(500), nullable=True)


class WebhookAttempt(Table, table=True):
    """One try to send a delivery: when, what the receiver answered (or why it could not)."""

    delivery_id: int = column(sa.ForeignKey("webhook_delivery.id", ondelete="CASCADE"), index=True)
    number: int = column(sa.Integer())
    at: dt.datetime = utc_now_column()
    status_code: int | None = column(sa.Integer(), nullable=True)
    error: str | None = column(sa.String(500), nullable=True)
    duration_ms: int = column(sa.Integer(), default=0)
