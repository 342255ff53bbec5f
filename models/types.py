"""Column types shared by every table (money, UTC timestamps, JSON, string enums)
and how a field is declared on its column (``column``, ``utc_now_column``)."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from pydantic_core import PydanticUndefined
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field

from core.clock import utcnow

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


def column(type_: Any, *, nullable: bool = False, default: Any = PydanticUndefined,
           default_factory: Any = None, column_default: Any = None, **options: Any) -> Any:
    """A field stored in one column of ``type_`` (a type, or a ``sa.ForeignKey``):
    NOT NULL unless ``nullable``, and then ``None`` by default. ``default`` (or
    ``default_factory``) is the field's, set when the row object is made;
    ``column_default`` the column's, set on INSERT when no value was given (the
    admin's forms offer it). ``options`` are the column's (``index``, ``unique``,
    ``server_default``)."""
    if nullable and default is PydanticUndefined and default_factory is None:
        default = None
    if column_default is not None:
        options["default"] = column_default
    return Field(default=default, default_factory=default_factory,
                 sa_column=sa.Column(type_, nullable=nullable, **options))


def between(column_name: str, low: int, high: int, name: str) -> sa.CheckConstraint:
    """The CHECK named ``name`` that ``column_name`` lies from ``low`` to ``high``, both included."""
    return sa.CheckConstraint(f"{column_name} BETWEEN {low} AND {high}", name=name)


def year_range() -> sa.CheckConstraint:
    """A reference row's year, 2000 to 2100."""
    return between("year", 2000, 2100, "year_range")


def utc_now_column() -> Any:
    """A UTC timestamp, now when the row is made (created, updated or recorded at)."""
    return column(UTCDateTime(), default_factory=utcnow)


def partial_unique_index(name: str, *columns: str, where: str) -> sa.Index:
    """A unique index over the rows that match ``where`` (SQL), on SQLite and PostgreSQL alike."""
    return sa.Index(name, *columns, unique=True, sqlite_where=sa.text(where), postgresql_where=sa.text(where))
