"""Column types shared by every table: money, UTC timestamps, JSON, string enums."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

CENT = Decimal("0.01")


class Money(TypeDecorator[Decimal]):
    """Tenge with two decimals, exact end to end.

    PostgreSQL stores ``NUMERIC(14, 2)``. SQLite has no decimal type (its
    NUMERIC affinity turns values into floats), so there the column is an
    integer count of tiyn and the conversion happens here, without floats.
    """

    impl = sa.Numeric(14, 2, asdecimal=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.BigInteger())
        return dialect.type_descriptor(sa.Numeric(14, 2, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be a Decimal, never a float")
        amount = Decimal(value).quantize(CENT)
        if dialect.name == "sqlite":
            return int(amount * 100)
        return amount

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            if isinstance(value, float):  # only if someone wrote a float by hand
                raise TypeError("a float was stored in a money column")
            return (Decimal(int(value)) / 100).quantize(CENT)
        return Decimal(value).quantize(CENT)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware timestamps, stored in UTC on every database."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; timestamps must carry their offset")
        value = value.astimezone(dt.timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


def str_enum(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    """A VARCHAR column with a CHECK constraint listing the enum's values."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),  # type: ignore[arg-type]
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


def json_from_text(value: sa.ColumnElement[Any], dialect_name: str) -> sa.ColumnElement[Any]:
    """JSON already serialised (text), as the value of a ``JSONType`` column: cast
    to JSONB on PostgreSQL; SQLite keeps JSON as text, so the text goes in as is
    (``CAST(… AS JSON)`` there would give it numeric affinity)."""
    if dialect_name == "postgresql":
        return sa.cast(value, JSONB)
    return value


def id_in(column: sa.ColumnElement[Any], ids: list[int], dialect_name: str) -> sa.ColumnElement[bool]:
    """``column IN ids`` for a batch of ids: ``= ANY(:ids)`` with one array parameter
    on PostgreSQL (one cached statement, whatever the number of ids); an expanding
    ``IN`` elsewhere."""
    if dialect_name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == sa.any_(sa.bindparam(None, ids, type_=ARRAY(sa.Integer())))
    return column.in_(ids)
