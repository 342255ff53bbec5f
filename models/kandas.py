"""Kandas status (SPEC §12): granted to the principal applicant of a KANDAS
application when a selection round approves it."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from models.base import Table
from models.enums import KandasEndReason, KandasStatusState
from models.types import column, str_enum, utc_now_column


class KandasStatus(Table, table=True):
    __table_args__ = (
        sa.CheckConstraint("valid_until > granted_on", name="dates_order"),
        sa.CheckConstraint("extended_months IS NULL OR extended_months BETWEEN 1 AND 6", name="extension_range"),
        # Stored: ACTIVE or ENDED (EXPIRED is read from the dates); an ended status has its reason and date.
        sa.CheckConstraint("status <> 'EXPIRED'", name="status_stored"),
        sa.CheckConstraint("(status = 'ENDED') = (end_reason IS NOT NULL AND ended_on IS NOT NULL)",
                           name="ended_has_reason"),
        sa.Index("ix_kandas_status_valid_until", "valid_until", "id"),
    )

    number: str = column(sa.String(20), unique=True)
    application_id: int = column(sa.ForeignKey("application.id", ondelete="RESTRICT"), unique=True)
    applicant_id: int = column(sa.ForeignKey("applicant.id", ondelete="RESTRICT"), index=True)
    granted_on: dt.date = column(sa.Date())
    valid_until: dt.date = column(sa.Date())
    # The one extension a status may have, in months (null: not extended).
    extended_months: int | None = column(sa.Integer(), nullable=True)
    status: KandasStatusState = column(str_enum(KandasStatusState, "kandas_status_state"))
    end_reason: KandasEndReason | None = column(str_enum(KandasEndReason, "kandas_end_reason"), nullable=True)
    ended_on: dt.date | None = column(sa.Date(), nullable=True)
    created_at: dt.datetime = utc_now_column()
    updated_at: dt.datetime = utc_now_column()
