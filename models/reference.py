"""Reference data: regions, occupations and deficit lists, agencies, check types,
support measures, MRP values and termination reasons."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.enums import RegionKind, TerminationReason
from models.types import Money, str_enum


# ISO 3166-2:KZ first-level subdivisions (pycountry's list, pinned here so that
# the database constraint and the migration do not move with a library update).
KZ_REGION_CODES = (
    "KZ-10", "KZ-11", "KZ-15", "KZ-19", "KZ-23", "KZ-27", "KZ-31", "KZ-33", "KZ-35", "KZ-39",
    "KZ-43", "KZ-47", "KZ-55", "KZ-59", "KZ-61", "KZ-62", "KZ-63", "KZ-71", "KZ-75", "KZ-79",
)


class Region(SQLModel, table=True):
    __tablename__ = "region"
    __table_args__ = (
        sa.CheckConstraint(
            "code IN (" + ", ".join(f"'{c}'" for c in KZ_REGION_CODES) + ")", name="code_iso_kz"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=sa.Column(sa.String(8), nullable=False, unique=True))
    name_kk: str = Field(sa_column=sa.Column(sa.String(120), nullable=False))
    name_ru: str = Field(sa_column=sa.Column(sa.String(120), nullable=False))
    name_en: str = Field(sa_column=sa.Column(sa.String(120), nullable=False))
    kind: RegionKind = Field(sa_column=sa.Column(str_enum(RegionKind, "region_kind"), nullable=False))
    labour_deficit: bool = Field(sa_column=sa.Column(sa.Boolean(), nullable=False, default=False))


class Occupation(SQLModel, table=True):
    """An ISCO-08 unit group."""

    __tablename__ = "occupation"
    __table_args__ = (sa.CheckConstraint("length(code) = 4", name="code_isco4"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=sa.Column(sa.String(4), nullable=False, unique=True))
    name_en: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    name_ru: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))


class DeficitOccupation(SQLModel, table=True):
    """An occupation a region lists as in deficit for a year."""

    __tablename__ = "deficit_occupation"
    __table_args__ = (
        sa.UniqueConstraint("region_id", "occupation_id", "year"),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(sa_column=sa.Column(sa.ForeignKey("region.id", ondelete="RESTRICT"), nullable=False, index=True))
    occupation_id: int = Field(sa_column=sa.Column(sa.ForeignKey("occupation.id", ondelete="RESTRICT"), nullable=False))
    year: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))


class Agency(SQLModel, table=True):
    __tablename__ = "agency"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=sa.Column(sa.String(40), nullable=False, unique=True))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    active: bool = Field(sa_column=sa.Column(sa.Boolean(), nullable=False, default=True))


class CheckType(SQLModel, table=True):
    __tablename__ = "check_type"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=sa.Column(sa.String(40), nullable=False, unique=True))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    agency_id: int = Field(sa_column=sa.Column(sa.ForeignKey("agency.id", ondelete="RESTRICT"), nullable=False, index=True))
    mandatory: bool = Field(sa_column=sa.Column(sa.Boolean(), nullable=False, default=True))
    active: bool = Field(sa_column=sa.Column(sa.Boolean(), nullable=False, default=True))


class CheckTypeGrant(SQLModel, table=True):
    """An agency may read checks of a type it does not own."""

    __tablename__ = "check_type_grant"
    __table_args__ = (sa.UniqueConstraint("agency_id", "check_type_id"),)

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(sa_column=sa.Column(sa.ForeignKey("agency.id", ondelete="CASCADE"), nullable=False))
    check_type_id: int = Field(sa_column=sa.Column(sa.ForeignKey("check_type.id", ondelete="CASCADE"), nullable=False, index=True))


class SupportMeasure(SQLModel, table=True):
    __tablename__ = "support_measure"
    __table_args__ = (sa.CheckConstraint("cap_mrp >= 0", name="cap_nonneg"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=sa.Column(sa.String(40), nullable=False, unique=True))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    cap_mrp: Decimal = Field(sa_column=sa.Column(sa.Numeric(10, 2, asdecimal=True), nullable=False))
    per_family_member: bool = Field(sa_column=sa.Column(sa.Boolean(), nullable=False, default=False))


class MrpValue(SQLModel, table=True):
    """The monthly calculation index (MRP) in tenge for a year."""

    __tablename__ = "mrp_value"
    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False, unique=True))
    amount: Decimal = Field(sa_column=sa.Column(Money(), nullable=False))


class TerminationReasonRule(SQLModel, table=True):
    """Whether a termination reason makes the support refundable (reference data)."""

    __tablename__ = "termination_reason"

    id: int | None = Field(default=None, primary_key=True)
    code: TerminationReason = Field(
        sa_column=sa.Column(str_enum(TerminationReason, "termination_reason_code"), nullable=False, unique=True)
    )
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    refundable: bool = Field(sa_column=sa.Column(sa.Boolean(), nullable=False))
