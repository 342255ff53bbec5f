"""Reference data: regions, occupations and deficit lists, agencies, check types,
support measures, MRP values and termination reasons."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from models.base import Table
from models.enums import RegionKind, TerminationReason
from models.types import Money, column, str_enum, year_range


# ISO 3166-2:KZ first-level subdivisions (pycountry's list, pinned here so that
# the database constraint and the migration do not move with a library update).
KZ_REGION_CODES = (
    "KZ-10", "KZ-11", "KZ-15", "KZ-19", "KZ-23", "KZ-27", "KZ-31", "KZ-33", "KZ-35", "KZ-39",
    "KZ-43", "KZ-47", "KZ-55", "KZ-59", "KZ-61", "KZ-62", "KZ-63", "KZ-71", "KZ-75", "KZ-79",
)


class Region(Table, table=True):
    __table_args__ = (
        sa.CheckConstraint(
            "code IN (" + ", ".join(f"'{c}'" for c in KZ_REGION_CODES) + ")", name="code_iso_kz"
        ),
    )

    code: str = column(sa.String(8), unique=True)
    name_kk: str = column(sa.String(120))
    name_ru: str = column(sa.String(120))
    name_en: str = column(sa.String(120))
    kind: RegionKind = column(str_enum(RegionKind, "region_kind"))
    labour_deficit: bool = column(sa.Boolean(), column_default=False)


class Occupation(Table, table=True):
    """An ISCO-08 unit group."""

    __table_args__ = (sa.CheckConstraint("length(code) = 4", name="code_isco4"),)

    code: str = column(sa.String(4), unique=True)
    name_en: str = column(sa.String(200))
    name_ru: str = column(sa.String(200))
    name_kk: str | None = column(sa.String(200), nullable=True)


class DeficitOccupation(Table, table=True):
    """An occupation a region lists as in deficit for a year."""

    __table_args__ = (
        sa.UniqueConstraint("region_id", "occupation_id", "year"),
        year_range(),
    )

    region_id: int = column(sa.ForeignKey("region.id", ondelete="RESTRICT"), index=True)
    occupation_id: int = column(sa.ForeignKey("occupation.id", ondelete="RESTRICT"))
    year: int = column(sa.Integer())


class Agency(Table, table=True):
    code: str = column(sa.String(40), unique=True)
    name: str = column(sa.String(200))
    name_kk: str | None = column(sa.String(200), nullable=True)
    name_ru: str | None = column(sa.String(200), nullable=True)
    active: bool = column(sa.Boolean(), column_default=True)


class CheckType(Table, table=True):
    code: str = column(sa.String(40), unique=True)
    name: str = column(sa.String(200))
    name_kk: str | None = column(sa.String(200), nullable=True)
    name_ru: str | None = column(sa.String(200), nullable=True)
    agency_id: int = column(sa.ForeignKey("agency.id", ondelete="RESTRICT"), index=True)
    mandatory: bool = column(sa.Boolean(), column_default=True)
    active: bool = column(sa.Boolean(), column_default=True)


class CheckTypeGrant(Table, table=True):
    """An agency may read checks of a type it does not own."""

    __table_args__ = (sa.UniqueConstraint("agency_id", "check_type_id"),)

    agency_id: int = column(sa.ForeignKey("agency.id", ondelete="CASCADE"))
    check_type_id: int = column(sa.ForeignKey("check_type.id", ondelete="CASCADE"), index=True)


class SupportMeasure(Table, table=True):
    __table_args__ = (sa.CheckConstraint("cap_mrp >= 0", name="cap_nonneg"),)

    code: str = column(sa.String(40), unique=True)
    name: str = column(sa.String(200))
    name_kk: str | None = column(sa.String(200), nullable=True)
    name_ru: str | None = column(sa.String(200), nullable=True)
    cap_mrp: Decimal = column(sa.Numeric(10, 2, asdecimal=True))
    per_family_member: bool = column(sa.Boolean(), column_default=False)


class MrpValue(Table, table=True):
    """The monthly calculation index (MRP) in tenge for a year."""

    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        year_range(),
    )

    year: int = column(sa.Integer(), unique=True)
    amount: Decimal = column(Money())


class TerminationReasonRule(Table, table=True):
    """Whether a termination reason makes the support refundable (reference data)."""

    __tablename__ = "termination_reason"

    code: TerminationReason = column(str_enum(TerminationReason, "termination_reason_code"), unique=True)
    name: str = column(sa.String(200))
    name_kk: str | None = column(sa.String(200), nullable=True)
    name_ru: str | None = column(sa.String(200), nullable=True)
    refundable: bool = column(sa.Boolean())
