"""Quotas and selection rounds."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from models.base import Table
from models.enums import QuotaKind
from models.types import JSONType, UTCDateTime, column, partial_unique_index, str_enum, utc_now_column, year_range


class Quota(Table, table=True):
    """(kind, year, region[, occupation]) -> capacity in people; ``used`` is kept by the system."""

    __table_args__ = (
        sa.CheckConstraint("capacity >= 0", name="capacity_nonneg"),
        sa.CheckConstraint("used >= 0 AND used <= capacity", name="used_within_capacity"),
        year_range(),
        sa.CheckConstraint(
            "(kind = 'LABOUR' AND occupation_id IS NOT NULL) OR (kind = 'KANDAS' AND occupation_id IS NULL)",
            name="occupation_by_kind",
        ),
        partial_unique_index("uq_quota_region_year_kandas", "kind", "year", "region_id",
                             where="occupation_id IS NULL"),
        partial_unique_index("uq_quota_region_year_occupation", "kind", "year", "region_id", "occupation_id",
                             where="occupation_id IS NOT NULL"),
    )

    kind: QuotaKind = column(str_enum(QuotaKind, "quota_kind"))
    year: int = column(sa.Integer())
    region_id: int = column(sa.ForeignKey("region.id", ondelete="RESTRICT"), index=True)
    occupation_id: int | None = column(sa.ForeignKey("occupation.id", ondelete="RESTRICT"), nullable=True)
    capacity: int = column(sa.Integer())
    used: int = column(sa.Integer(), default=0, server_default="0")
    updated_at: dt.datetime = utc_now_column()


class SelectionRound(Table, table=True):
    quota_id: int = column(sa.ForeignKey("quota.id", ondelete="RESTRICT"), index=True)
    ran_at: dt.datetime = column(UTCDateTime())
    ran_by: str = column(sa.String(200))
    cutoff_score: int | None = column(sa.Integer(), nullable=True)
    seats_taken: int = column(sa.Integer())
    # The seats left on the quota when the round ran (SPEC §17's public statistics);
    # null for rounds run before it was recorded and not found in the audit trail.
    seats_offered: int | None = column(sa.Integer(), nullable=True)
    # The round's candidates and approvals counted by sex, age band and route
    # (``services.fairness``): the four-fifths check of the round; null before it was recorded.
    group_counts: dict[str, Any] | None = column(JSONType, nullable=True)


class SelectionRoundApproval(Table, table=True):
    __table_args__ = (sa.UniqueConstraint("application_id"),)

    round_id: int = column(sa.ForeignKey("selection_round.id", ondelete="CASCADE"), index=True)
    application_id: int = column(sa.ForeignKey("application.id", ondelete="RESTRICT"))
    rank: int = column(sa.Integer())
    score: int = column(sa.Integer())
    seats: int = column(sa.Integer())


class SelectionRoundPassedOver(Table, table=True):
    """A candidate ranked above a round's last approved one whose family did not fit
    in the seats left (it stayed PASSED)."""

    __table_args__ = (sa.UniqueConstraint("round_id", "application_id"),)

    round_id: int = column(sa.ForeignKey("selection_round.id", ondelete="CASCADE"))
    application_id: int = column(sa.ForeignKey("application.id", ondelete="CASCADE"), index=True)
    position: int = column(sa.Integer())  # 1-based, in ranking order
    score: int | None = column(sa.Integer(), nullable=True)
    seats: int | None = column(sa.Integer(), nullable=True)
