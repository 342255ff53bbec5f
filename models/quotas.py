"""Quotas and selection rounds."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import utcnow
from models.enums import QuotaKind
from models.types import UTCDateTime, str_enum


class Quota(SQLModel, table=True):
    """(kind, year, region[, occupation]) -> capacity in people; ``used`` is kept by the system."""

    __tablename__ = "quota"
    __table_args__ = (
        sa.CheckConstraint("capacity >= 0", name="capacity_nonneg"),
        sa.CheckConstraint("used >= 0 AND used <= capacity", name="used_within_capacity"),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),
        sa.CheckConstraint(
            "(kind = 'LABOUR' AND occupation_id IS NOT NULL) OR (kind = 'KANDAS' AND occupation_id IS NULL)",
            name="occupation_by_kind",
        ),
        sa.Index(
            "uq_quota_region_year_kandas",
            "kind",
            "year",
            "region_id",
            unique=True,
            sqlite_where=sa.text("occupation_id IS NULL"),
            postgresql_where=sa.text("occupation_id IS NULL"),
        ),
        sa.Index(
            "uq_quota_region_year_occupation",
            "kind",
            "year",
            "region_id",
            "occupation_id",
            unique=True,
            sqlite_where=sa.text("occupation_id IS NOT NULL"),
            postgresql_where=sa.text("occupation_id IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: QuotaKind = Field(sa_column=sa.Column(str_enum(QuotaKind, "quota_kind"), nullable=False))
    year: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    region_id: int = Field(sa_column=sa.Column(sa.ForeignKey("region.id", ondelete="RESTRICT"), nullable=False, index=True))
    occupation_id: int | None = Field(default=None, sa_column=sa.Column(sa.ForeignKey("occupation.id", ondelete="RESTRICT"), nullable=True))
    capacity: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    used: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False, server_default="0"))
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False))


class SelectionRound(SQLModel, table=True):
    __tablename__ = "selection_round"

    id: int | None = Field(default=None, primary_key=True)
    quota_id: int = Field(sa_column=sa.Column(sa.ForeignKey("quota.id", ondelete="RESTRICT"), nullable=False, index=True))
    ran_at: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    ran_by: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    cutoff_score: int | None = Field(default=None, sa_column=sa.Column(sa.Integer(), nullable=True))
    seats_taken: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))


class SelectionRoundApproval(SQLModel, table=True):
    __tablename__ = "selection_round_approval"
    __table_args__ = (sa.UniqueConstraint("application_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(sa_column=sa.Column(sa.ForeignKey("selection_round.id", ondelete="CASCADE"), nullable=False, index=True))
    application_id: int = Field(sa_column=sa.Column(sa.ForeignKey("application.id", ondelete="RESTRICT"), nullable=False))
    rank: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    score: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    seats: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))


class SelectionRoundPassedOver(SQLModel, table=True):
    """A candidate ranked above a round's last approved one whose family did not fit
    in the seats left (it stayed PASSED)."""

    __tablename__ = "selection_round_passed_over"
    __table_args__ = (sa.UniqueConstraint("round_id", "application_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(sa_column=sa.Column(sa.ForeignKey("selection_round.id", ondelete="CASCADE"), nullable=False))
    application_id: int = Field(sa_column=sa.Column(sa.ForeignKey("application.id", ondelete="CASCADE"), nullable=False, index=True))
    position: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))  # 1-based, in ranking order
    score: int | None = Field(default=None, sa_column=sa.Column(sa.Integer(), nullable=True))
    seats: int | None = Field(default=None, sa_column=sa.Column(sa.Integer(), nullable=True))
