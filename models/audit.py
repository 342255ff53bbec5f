"""The audit trail: who did what, when, to which entity, with the change."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import utcnow
from models.types import JSONType, UTCDateTime


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_entity", "entity_type", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False, index=True))
    actor_subject: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    actor_role: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    action: str = Field(sa_column=sa.Column(sa.String(80), nullable=False))
    entity_type: str = Field(sa_column=sa.Column(sa.String(60), nullable=False))
    entity_id: int | None = Field(default=None, sa_column=sa.Column(sa.Integer(), nullable=True))
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(JSONType, nullable=False))


class NumberSequence(SQLModel, table=True):
    """Counters for human-readable numbers (RP-2026-000123), taken atomically."""

    __tablename__ = "number_sequence"

    name: str = Field(sa_column=sa.Column(sa.String(40), primary_key=True))
    value: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
