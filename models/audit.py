"""The audit trail: who did what, when, to which entity, with the change."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import Table, utcnow
from models.types import JSONType, UTCDateTime, column


class AuditEvent(Table, table=True):
    __table_args__ = (sa.Index("ix_audit_event_entity", "entity_type", "entity_id"),)

    at: dt.datetime = column(UTCDateTime(), default_factory=utcnow, index=True)
    actor_subject: str = column(sa.String(200))
    actor_role: str = column(sa.String(40))
    action: str = column(sa.String(80))
    entity_type: str = column(sa.String(60))
    entity_id: int | None = column(sa.Integer(), nullable=True)
    changes: dict[str, Any] = column(JSONType, default_factory=dict)


class NumberSequence(SQLModel, table=True):
    """Counters for human-readable numbers (RP-2026-000123), taken atomically."""

    __tablename__ = "number_sequence"

    name: str = Field(sa_column=sa.Column(sa.String(40), primary_key=True))
    value: int = column(sa.Integer())
