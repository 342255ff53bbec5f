"""Admin panel accounts and partner agencies' API keys."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from models.base import Table
from models.enums import AdminRole
from models.types import UTCDateTime, column, str_enum, utc_now_column


class AdminAccount(Table, table=True):
    username: str = column(sa.String(80), unique=True)
    password_hash: str = column(sa.String(200))
    role: AdminRole = column(str_enum(AdminRole, "admin_role"))
    active: bool = column(sa.Boolean(), default=True)
    created_at: dt.datetime = utc_now_column()
    last_login_at: dt.datetime | None = column(UTCDateTime(), nullable=True)


class AgencyApiKey(Table, table=True):
    """Only a hash of the key is stored; the prefix finds the row."""

    agency_id: int = column(sa.ForeignKey("agency.id", ondelete="RESTRICT"), index=True)
    prefix: str = column(sa.String(16), unique=True)
    key_hash: str = column(sa.String(128))
    label: str | None = column(sa.String(200), nullable=True)
    created_at: dt.datetime = utc_now_column()
    revoked_at: dt.datetime | None = column(UTCDateTime(), nullable=True)
    last_used_at: dt.datetime | None = column(UTCDateTime(), nullable=True)


class FailedAuthentication(Table, table=True):
    """One refused credential (a bad API key or token, a failed admin login), by
    client address: the failed-authentication limiter counts these rows, so that
    every process and every machine counts the same tries (``services.throttle``).
    Rows older than the limiter's window are deleted as new ones come."""

    __tablename__ = "failed_authentication"
    __table_args__ = (sa.Index("ix_failed_authentication_client", "scope", "client", "at"),)

    scope: str = column(sa.String(16))
    client: str = column(sa.String(64))
    at: dt.datetime = column(UTCDateTime())
