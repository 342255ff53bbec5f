"""The metadata every table shares: a naming convention for constraints and clock helpers."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlmodel import SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = SQLModel.metadata

ALMATY = ZoneInfo("Asia/Almaty")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def today_almaty(now: dt.datetime | None = None) -> dt.date:
    """Kazakhstan's date ("today" in every rule is Almaty's)."""
    return (now or utcnow()).astimezone(ALMATY).date()
