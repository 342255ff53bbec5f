"""The metadata every table shares: a naming convention for constraints; the
base of the tables keyed by an integer id (and the clock, from ``core.clock``)."""

from __future__ import annotations

import re

from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = SQLModel.metadata


class Table(SQLModel):
    """A table whose primary key is an integer ``id`` the database assigns, named
    after its class unless it says otherwise (``LanguageTest`` is ``language_test``)."""

    id: int | None = Field(default=None, primary_key=True)

    @declared_attr  # type: ignore[misc]
    def __tablename__(cls) -> str:
        return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()

# The clock lives in core (every layer reads it); the models re-export it for their callers.
from core.clock import ALMATY, clock_is_pinned, pin_today, today_almaty, utcnow, wall_clock  # noqa: E402,F401

