"""Reviews of a decision (SPEC §14) and the public holidays their due dates skip."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from models.base import Table
from models.enums import ApplicationStatus, ReviewOutcome, ReviewStatus
from models.types import UTCDateTime, column, partial_unique_index, str_enum, utc_now_column


class DecisionReview(Table, table=True):
    """An applicant's request that a decision (a FAILED score or a REJECTED
    decision) be reviewed, with what was under review kept as it was."""

    __table_args__ = (
        sa.CheckConstraint("length(grounds) BETWEEN 10 AND 4000", name="grounds_length"),
        sa.CheckConstraint("(status = 'OPEN') = (outcome IS NULL)", name="open_has_no_outcome"),
        sa.CheckConstraint("reviewed_status IN ('FAILED', 'REJECTED')", name="reviewed_status_kind"),
        # One open review per application at a time.
        partial_unique_index("uq_decision_review_open", "application_id", where="status = 'OPEN'"),
        sa.Index("ix_decision_review_due", "due_date", "id"),
        sa.Index("ix_decision_review_requested", "requested_at", "id"),
    )

    number: str = column(sa.String(20), unique=True)
    application_id: int = column(sa.ForeignKey("application.id", ondelete="RESTRICT"), index=True)
    status: ReviewStatus = column(str_enum(ReviewStatus, "review_status"))
    grounds: str = column(sa.String(4000))
    requested_at: dt.datetime = utc_now_column()
    requested_by: str = column(sa.String(200))
    due_date: dt.date = column(sa.Date())
    # The decision under review: the status it gave, when (Almaty date) and who made it.
    reviewed_status: ApplicationStatus = column(str_enum(ApplicationStatus, "reviewed_status"))
    decision_on: dt.date = column(sa.Date())
    decision_by: str | None = column(sa.String(200), nullable=True)
    # The score under review, kept whatever happens to the application's score next.
    score_model_version: str | None = column(sa.String(40), nullable=True)
    score_total: int | None = column(sa.Integer(), nullable=True)
    score_passed: bool | None = column(sa.Boolean(), nullable=True)
    # The review's own decision.
    outcome: ReviewOutcome | None = column(str_enum(ReviewOutcome, "review_outcome"), nullable=True)
    reason: str | None = column(sa.String(1000), nullable=True)
    decided_at: dt.datetime | None = column(UTCDateTime(), nullable=True)
    decided_by: str | None = column(sa.String(200), nullable=True)


class Holiday(Table, table=True):
    """A public holiday: a fixed date that recurs every year (``month`` and ``day``)
    or one dated day (``on_date``: a movable holiday such as Kurban Ait, or a day
    off the government moves)."""

    __table_args__ = (
        sa.CheckConstraint(
            "(on_date IS NULL AND month BETWEEN 1 AND 12 AND day BETWEEN 1 AND 31) OR "
            "(on_date IS NOT NULL AND month IS NULL AND day IS NULL)", name="fixed_or_dated"),
        sa.UniqueConstraint("month", "day"),
        sa.UniqueConstraint("on_date"),
    )

    month: int | None = column(sa.Integer(), nullable=True)
    day: int | None = column(sa.Integer(), nullable=True)
    on_date: dt.date | None = column(sa.Date(), nullable=True)
    name_kk: str = column(sa.String(200))
    name_ru: str = column(sa.String(200))
    name_en: str = column(sa.String(200))
