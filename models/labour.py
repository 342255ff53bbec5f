"""Employers, work permits, violations and the suspension rule (SPEC §15)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from models.base import Table
from models.enums import PermitCategory, PermitStatus, ViolationKind
from models.types import UTCDateTime, between, column, str_enum, utc_now_column


class Employer(Table, table=True):
    """An employer and its local (Kazakhstani) headcount by category; ``suspended_until``
    is kept by the violation service (the day the suspension ends; none when never suspended)."""

    __table_args__ = (
        sa.CheckConstraint("local_cat1 >= 0 AND local_cat2 >= 0 AND local_cat3 >= 0 AND local_cat4 >= 0",
                           name="staff_nonneg"),
        sa.Index("ix_employer_created_id", "created_at", "id"),
    )

    bin: str = column(sa.String(12), unique=True)
    name: str = column(sa.String(300))
    region_id: int = column(sa.ForeignKey("region.id", ondelete="RESTRICT"), index=True)
    local_cat1: int = column(sa.Integer(), default=0)
    local_cat2: int = column(sa.Integer(), default=0)
    local_cat3: int = column(sa.Integer(), default=0)
    local_cat4: int = column(sa.Integer(), default=0)
    suspended_until: dt.date | None = column(sa.Date(), nullable=True)
    created_at: dt.datetime = utc_now_column()
    updated_at: dt.datetime = utc_now_column()


class WorkPermit(Table, table=True):
    """A request for ``workers`` foreign workers of one category and occupation in a region;
    an approval takes ``workers`` seats of the LABOUR quota (ICT none) and gives as many places
    for LABOUR applications (``places_used``)."""

    __table_args__ = (
        sa.CheckConstraint("workers >= 1", name="workers_positive"),
        between("valid_months", 1, 12, "valid_months_range"),
        sa.CheckConstraint("places_used >= 0 AND places_used <= workers", name="places_within_workers"),
        sa.Index("ix_work_permit_requested_id", "requested_at", "id"),
    )

    number: str = column(sa.String(20), unique=True)
    employer_id: int = column(sa.ForeignKey("employer.id", ondelete="RESTRICT"), index=True)
    category: PermitCategory = column(str_enum(PermitCategory, "permit_category"))
    occupation_id: int = column(sa.ForeignKey("occupation.id", ondelete="RESTRICT"))
    region_id: int = column(sa.ForeignKey("region.id", ondelete="RESTRICT"), index=True)
    workers: int = column(sa.Integer())
    valid_months: int = column(sa.Integer())
    status: PermitStatus = column(str_enum(PermitStatus, "permit_status"))
    requested_at: dt.datetime = column(UTCDateTime())
    decided_at: dt.datetime | None = column(UTCDateTime(), nullable=True)
    decided_by: str | None = column(sa.String(200), nullable=True)
    decision_reason: str | None = column(sa.String(1000), nullable=True)
    valid_from: dt.date | None = column(sa.Date(), nullable=True)
    valid_until: dt.date | None = column(sa.Date(), nullable=True)
    quota_id: int | None = column(sa.ForeignKey("quota.id", ondelete="RESTRICT"), nullable=True, index=True)
    places_used: int = column(sa.Integer(), default=0, server_default="0")
    updated_at: dt.datetime = utc_now_column()


class Violation(Table, table=True):
    """A breach of migration law by an employer or by an applicant (through one of
    their applications), as an officer or the migration service recorded it."""

    __table_args__ = (
        sa.CheckConstraint("(employer_id IS NULL) <> (application_id IS NULL)", name="one_subject"),
        sa.CheckConstraint("fine_mrp >= 0", name="fine_nonneg"),
        sa.Index("ix_violation_recorded_id", "recorded_at", "id"),
    )

    external_id: str = column(sa.String(100), unique=True)
    employer_id: int | None = column(sa.ForeignKey("employer.id", ondelete="RESTRICT"), nullable=True, index=True)
    application_id: int | None = column(sa.ForeignKey("application.id", ondelete="RESTRICT"), nullable=True)
    applicant_id: int | None = column(sa.ForeignKey("applicant.id", ondelete="RESTRICT"), nullable=True, index=True)
    kind: ViolationKind = column(str_enum(ViolationKind, "violation_kind"))
    occurred_on: dt.date = column(sa.Date())
    fine_mrp: int = column(sa.Integer(), default=0)
    recorded_at: dt.datetime = utc_now_column()
    recorded_by: str = column(sa.String(200))
    # The partner agency whose key recorded it (null when an officer did).
    agency_id: int | None = column(sa.ForeignKey("agency.id", ondelete="RESTRICT"), nullable=True)


class SuspensionRule(Table, table=True):
    """Reference data: ``violations`` or more violations of an employer within
    ``window_months`` suspend it for ``suspension_months`` from the last one."""

    __table_args__ = (
        sa.CheckConstraint("violations >= 1", name="violations_positive"),
        between("window_months", 1, 120, "window_range"),
        between("suspension_months", 1, 120, "suspension_range"),
    )

    code: str = column(sa.String(40), unique=True)
    violations: int = column(sa.Integer())
    window_months: int = column(sa.Integer())
    suspension_months: int = column(sa.Integer())


class AgencyPermission(Table, table=True):
    """What a partner agency's key may do beyond its check types (``RECORD_VIOLATIONS``)."""

    __table_args__ = (sa.UniqueConstraint("agency_id", "permission"),)

    agency_id: int = column(sa.ForeignKey("agency.id", ondelete="CASCADE"))
    permission: str = column(sa.String(40))
