"""Admin panel accounts and partner agencies' API keys."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import utcnow
from models.enums import AdminRole
from models.types import UTCDateTime, str_enum


class AdminAccount(SQLModel, table=True):
    __tablename__ = "admin_account"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(sa_column=sa.Column(sa.String(80), nullable=False, unique=True))
    password_hash: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    role: AdminRole = Field(sa_column=sa.Column(str_enum(AdminRole, "admin_role"), nullable=False))
    active: bool = Field(default=True, sa_column=sa.Column(sa.Boolean(), nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False))
    last_login_at: dt.datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=True))


class AgencyApiKey(SQLModel, table=True):
    """Only a hash of the key is stored; the prefix finds the row."""

    __tablename__ = "agency_api_key"

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(sa_column=sa.Column(sa.ForeignKey("agency.id", ondelete="RESTRICT"), nullable=False, index=True))
    prefix: str = Field(sa_column=sa.Column(sa.String(16), nullable=False, unique=True))
    key_hash: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    label: str | None = Field(default=None, sa_column=sa.Column(sa.String(200), nullable=True))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False))
    revoked_at: dt.datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=True))
    last_used_at: dt.datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=True))
