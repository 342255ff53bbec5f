"""Versioned scoring models."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import utcnow
from models.enums import ScoringModelStatus
from models.types import JSONType, UTCDateTime, str_enum


class ScoringModel(SQLModel, table=True):
    __tablename__ = "scoring_model"
    __table_args__ = (
        sa.CheckConstraint("pass_mark >= 0", name="pass_mark_nonneg"),
        # At most one published model per effective date.
        sa.Index(
            "uq_scoring_model_published_effective_from",
            "effective_from",
            unique=True,
            sqlite_where=sa.text("status = 'PUBLISHED'"),
            postgresql_where=sa.text("status = 'PUBLISHED'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(sa_column=sa.Column(sa.String(40), nullable=False, unique=True))
    status: ScoringModelStatus = Field(
        sa_column=sa.Column(str_enum(ScoringModelStatus, "scoring_model_status"), nullable=False)
    )
    effective_from: dt.date = Field(sa_column=sa.Column(sa.Date(), nullable=False))
    pass_mark: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    definition: dict[str, Any] = Field(sa_column=sa.Column(JSONType, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False))
    created_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(200), nullable=True))
    published_at: dt.datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=True))
