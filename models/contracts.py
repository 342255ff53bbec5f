"""Social contracts, the support ledger, terminations and refunds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from models.base import Table
from models.enums import ContractStatus, TerminationReason
from models.types import Money, between, column, str_enum, utc_now_column


class SocialContract(Table, table=True):
    __table_args__ = (
        between("family_size", 1, 20, "family_range"),
        sa.CheckConstraint("end_date > start_date", name="dates_order"),
        sa.Index("ix_social_contract_created_id", "created_at", "id"),
    )

    number: str = column(sa.String(20), unique=True)
    application_id: int = column(sa.ForeignKey("application.id", ondelete="RESTRICT"), unique=True)
    region_id: int = column(sa.ForeignKey("region.id", ondelete="RESTRICT"), index=True)
    family_size: int = column(sa.Integer())
    start_date: dt.date = column(sa.Date())
    end_date: dt.date = column(sa.Date())
    status: ContractStatus = column(str_enum(ContractStatus, "contract_status"))
    # The ledger's sum, kept in the same transaction as each payment.
    total_support: Decimal = column(Money(), default=Decimal("0.00"))
    created_at: dt.datetime = utc_now_column()


class SupportPayment(Table, table=True):
    __table_args__ = (sa.CheckConstraint("amount > 0", name="amount_positive"),)

    contract_id: int = column(sa.ForeignKey("social_contract.id", ondelete="RESTRICT"), index=True)
    measure_id: int = column(sa.ForeignKey("support_measure.id", ondelete="RESTRICT"))
    amount: Decimal = column(Money())
    paid_on: dt.date = column(sa.Date())
    recorded_at: dt.datetime = utc_now_column()
    recorded_by: str = column(sa.String(200))


class ContractTermination(Table, table=True):
    __table_args__ = (
        sa.CheckConstraint("refund_due >= 0", name="refund_due_nonneg"),
        sa.CheckConstraint("refund_paid >= 0 AND refund_paid <= refund_due", name="refund_paid_range"),
    )

    contract_id: int = column(sa.ForeignKey("social_contract.id", ondelete="RESTRICT"), unique=True)
    reason: TerminationReason = column(str_enum(TerminationReason, "termination_reason"))
    effective_date: dt.date = column(sa.Date())
    refund_due: Decimal = column(Money())
    refund_paid: Decimal = column(Money(), default=Decimal("0.00"))
    recorded_at: dt.datetime = utc_now_column()
    recorded_by: str = column(sa.String(200))


class RefundPayment(Table, table=True):
    __table_args__ = (sa.CheckConstraint("amount > 0", name="amount_positive"),)

    contract_id: int = column(sa.ForeignKey("social_contract.id", ondelete="RESTRICT"), index=True)
    amount: Decimal = column(Money())
    paid_on: dt.date = column(sa.Date())
    recorded_at: dt.datetime = utc_now_column()
    recorded_by: str = column(sa.String(200))
