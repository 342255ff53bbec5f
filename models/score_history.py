"""Every score an application has had (SPEC §17): one row per computed score,
with the model version, the outcome and why it was computed."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from models.base import Table
from models.enums import ScoreReason
from models.types import UTCDateTime, column, str_enum


class ScoreHistory(Table, table=True):
    __table_args__ = (
        sa.Index("ix_score_history_application", "application_id", "computed_at", "id"),
    )

    application_id: int = column(sa.ForeignKey("application.id", ondelete="CASCADE"))
    # Null only for rows rebuilt from the audit trail whose model version no longer exists.
    scoring_model_id: int | None = column(sa.ForeignKey("scoring_model.id", ondelete="RESTRICT"), nullable=True)
    model_version: str = column(sa.String(40))
    total: int = column(sa.Integer())
    max_total: int = column(sa.Integer())
    pass_mark: int = column(sa.Integer())
    passed: bool = column(sa.Boolean())
    computed_at: dt.datetime = column(UTCDateTime())
    reason: ScoreReason = column(str_enum(ScoreReason, "score_reason"))
