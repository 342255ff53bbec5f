"""Living in the region (SPEC §13): what the address-registration authority
reports about contract holders, the breach cases a departure opens, and the
agency grants that allow reporting."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from models.base import Table
from models.enums import AgencyGrantKind, BreachStatus, ResidenceEventKind
from models.types import UTCDateTime, column, partial_unique_index, str_enum, utc_now_column


class AgencyGrant(Table, table=True):
    """An agency may do ``kind`` (reference data administrators edit), e.g. the
    MVD_MIGRATION agency reports residence events (``RESIDENCE``)."""

    __table_args__ = (sa.UniqueConstraint("agency_id", "kind"),)

    agency_id: int = column(sa.ForeignKey("agency.id", ondelete="CASCADE"))
    kind: AgencyGrantKind = column(str_enum(AgencyGrantKind, "agency_grant_kind"))


class ContractBreach(Table, table=True):
    """A case opened on a contract by a departure from its region before its end
    date: one OPEN case per contract at a time; an officer confirms it (the
    contract is terminated, the whole support to refund) or dismisses it."""

    __table_args__ = (
        partial_unique_index("uq_contract_breach_one_open", "contract_id", where="status = 'OPEN'"),
        sa.CheckConstraint("(status = 'OPEN') = (resolved_at IS NULL)", name="resolved_when_closed"),
        sa.Index("ix_contract_breach_opened_id", "opened_at", "id"),
    )

    contract_id: int = column(sa.ForeignKey("social_contract.id", ondelete="RESTRICT"), index=True)
    status: BreachStatus = column(str_enum(BreachStatus, "breach_status"))
    # The date of the event that opened the case: a confirmed breach terminates the contract then.
    opened_on: dt.date = column(sa.Date())
    opened_at: dt.datetime = utc_now_column()
    resolved_at: dt.datetime | None = column(UTCDateTime(), nullable=True)
    resolved_by: str | None = column(sa.String(200), nullable=True)
    note: str | None = column(sa.String(2000), nullable=True)


class ResidenceEvent(Table, table=True):
    """One report of the address-registration authority, matched to the ACTIVE
    contract of the person it names. ``external_id`` is the reporter's own
    reference: one event per (agency, external id), so a retry adds nothing."""

    __table_args__ = (
        sa.UniqueConstraint("agency_id", "external_id"),
        sa.Index("ix_residence_event_recorded_id", "recorded_at", "id"),
        sa.Index("ix_residence_event_contract_kind_on", "contract_id", "kind", "occurred_on"),
    )

    agency_id: int = column(sa.ForeignKey("agency.id", ondelete="RESTRICT"))
    external_id: str = column(sa.String(100))
    citizenship: str = column(sa.String(3))
    document_number: str = column(sa.String(40))
    kind: ResidenceEventKind = column(str_enum(ResidenceEventKind, "residence_event_kind"))
    region_id: int = column(sa.ForeignKey("region.id", ondelete="RESTRICT"))
    occurred_on: dt.date = column(sa.Date())
    contract_id: int = column(sa.ForeignKey("social_contract.id", ondelete="RESTRICT"))
    # The breach case this event opened or was attached to while the case was open.
    breach_id: int | None = column(sa.ForeignKey("contract_breach.id", ondelete="RESTRICT"), nullable=True, index=True)
    recorded_at: dt.datetime = utc_now_column()
