"""Versioned scoring models."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from models.base import Table
from models.enums import ScoringModelStatus
from models.types import JSONType, UTCDateTime, column, partial_unique_index, str_enum, utc_now_column


class ScoringModel(Table, table=True):
    __table_args__ = (
        sa.CheckConstraint("pass_mark >= 0", name="pass_mark_nonneg"),
        # At most one published model per effective date.
        partial_unique_index("uq_scoring_model_published_effective_from", "effective_from",
                             where="status = 'PUBLISHED'"),
    )

    version: str = column(sa.String(40), unique=True)
    status: ScoringModelStatus = column(str_enum(ScoringModelStatus, "scoring_model_status"))
    effective_from: dt.date = column(sa.Date())
    pass_mark: int = column(sa.Integer())
    definition: dict[str, Any] = column(JSONType)
    created_at: dt.datetime = utc_now_column()
    created_by: str | None = column(sa.String(200), nullable=True)
    published_at: dt.datetime | None = column(UTCDateTime(), nullable=True)
