"""Social contracts, the support ledger, terminations and refunds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import utcnow
from models.enums import ContractStatus, TerminationReason
from models.types import Money, UTCDateTime, str_enum


class SocialContract(SQLModel, table=True):
    __tablename__ = "social_contract"
    __table_args__ = (
        sa.CheckConstraint("family_size BETWEEN 1 AND 20", name="family_range"),
        sa.CheckConstraint("end_date > start_date", name="dates_order"),
        sa.Index("ix_social_contract_created_id", "created_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(sa_column=sa.Column(sa.String(20), nullable=False, unique=True))
    application_id: int = Field(sa_column=sa.Column(sa.ForeignKey("application.id", ondelete="RESTRICT"), nullable=False, unique=True))
    region_id: int = Field(sa_column=sa.Column(sa.ForeignKey("region.id", ondelete="RESTRICT"), nullable=False, index=True))
    family_size: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    start_date: dt.date = Field(sa_column=sa.Column(sa.Date(), nullable=False))
    end_date: dt.date = Field(sa_column=sa.Column(sa.Date(), nullable=False))
    status: ContractStatus = Field(sa_column=sa.Column(str_enum(ContractStatus, "contract_status"), nullable=False))
    # The ledger's sum, kept in the same transaction as each payment.
    total_support: Decimal = Field(default=Decimal("0.00"), sa_column=sa.Column(Money(), nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False))


class SupportPayment(SQLModel, table=True):
    __tablename__ = "support_payment"
    __table_args__ = (sa.CheckConstraint("amount > 0", name="amount_positive"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(sa_column=sa.Column(sa.ForeignKey("social_contract.id", ondelete="RESTRICT"), nullable=False, index=True))
    measure_id: int = Field(sa_column=sa.Column(sa.ForeignKey("support_measure.id", ondelete="RESTRICT"), nullable=False))
    amount: Decimal = Field(sa_column=sa.Column(Money(), nullable=False))
    paid_on: dt.date = Field(sa_column=sa.Column(sa.Date(), nullable=False))
    recorded_at: dt.datetime = Field(default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False))
    recorded_by: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))


class ContractTermination(SQLModel, table=True):
    __tablename__ = "contract_termination"
    __table_args__ = (
        sa.CheckConstraint("refund_due >= 0", name="refund_due_nonneg"),
        sa.CheckConstraint("refund_paid >= 0 AND refund_paid <= refund_due", name="refund_paid_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(sa_column=sa.Column(sa.ForeignKey("social_contract.id", ondelete="RESTRICT"), nullable=False, unique=True))
    reason: TerminationReason = Field(sa_column=sa.Column(str_enum(TerminationReason, "termination_reason"), nullable=False))
    effective_date: dt.date = Field(sa_column=sa.Column(sa.Date(), nullable=False))
    refund_due: Decimal = Field(sa_column=sa.Column(Money(), nullable=False))
    refund_paid: Decimal = Field(default=Decimal("0.00"), sa_column=sa.Column(Money(), nullable=False))
    recorded_at: dt.datetime = Field(default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False))
    recorded_by: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))


class RefundPayment(SQLModel, table=True):
    __tablename__ = "refund_payment"
    __table_args__ = (sa.CheckConstraint("amount > 0", name="amount_positive"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(sa_column=sa.Column(sa.ForeignKey("social_contract.id", ondelete="RESTRICT"), nullable=False, index=True))
    amount: Decimal = Field(sa_column=sa.Column(Money(), nullable=False))
    paid_on: dt.date = Field(sa_column=sa.Column(sa.Date(), nullable=False))
    recorded_at: dt.datetime = Field(default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False))
    recorded_by: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
