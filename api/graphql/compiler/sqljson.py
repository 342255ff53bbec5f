"""SQL expressions that build JSON text, value for value as Strawberry and the
HTTP layer print it (compact JSON, ISO timestamps, decimals as text, base64
global IDs and cursors)."""

from __future__ import annotations

import json
from functools import reduce
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by

Text = sa.Text()


class CannotCompile(Exception):
    """This query goes to normal execution."""


class RawJSON:
    """The finished JSON text of ``data``, spliced into the response as is: the
    UTF-8 bytes PostgreSQL sent (the statement ends in ``convert_to``, a
    ``bytea``), never decoded into a str and encoded again. A page of the
    officers' list is about 200 kB: the decoding, copying and encoding cost
    0.1–0.2 ms of server CPU a request (workload 1 of the bench)."""

    __slots__ = ("utf8",)

    def __init__(self, utf8: bytes) -> None:
        self.utf8 = utf8

    def parsed(self) -> Any:
        return json.loads(self.utf8)


def const(text: str) -> sa.ColumnElement[str]:
    return sa.literal_column("'" + text.replace("'", "''") + "'", Text)


def cat(*parts: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    return reduce(lambda a, b: a.op("||", return_type=Text)(b), parts)


def json_string(expr: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    return sa.func.coalesce(sa.cast(sa.func.to_json(sa.cast(expr, Text)), Text), const("null"))


def iso_datetime(expr: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    """``datetime.isoformat()`` of an aware UTC timestamp: microseconds only when
    there are any (six digits, as Python prints them)."""
    text = sa.func.to_char(sa.func.timezone(const("UTC"), expr), const('YYYY-MM-DD"T"HH24:MI:SS.US'))
    return cat(sa.func.replace(text, const(".000000"), const("")), const("+00:00"))


def json_value(expr: sa.ColumnElement[Any], kind: str) -> sa.ColumnElement[str]:
    if kind == "str":
        return json_string(expr)
    if kind == "enum":  # values are identifiers (CHECK constraints): nothing to escape
        return sa.func.coalesce(cat(const('"'), sa.cast(expr, Text), const('"')), const("null"))
    if kind == "int":
        return sa.func.coalesce(sa.cast(expr, Text), const("null"))
    if kind == "bool":
        return sa.case((expr.is_(True), const("true")), (expr.is_(False), const("false")), else_=const("null"))
    if kind == "date":
        return sa.func.coalesce(cat(const('"'), sa.func.to_char(expr, const("YYYY-MM-DD")), const('"')), const("null"))
    if kind == "datetime":
        return sa.func.coalesce(cat(const('"'), iso_datetime(expr), const('"')), const("null"))
    if kind == "decimal":
        return sa.func.coalesce(cat(const('"'), sa.cast(expr, Text), const('"')), const("null"))
    raise CannotCompile(kind)


def b64(text: sa.ColumnElement[str], *, urlsafe: bool = False) -> sa.ColumnElement[str]:
    """Base64 as Python's ``b64encode`` (``urlsafe_b64encode``): PostgreSQL breaks
    lines every 76 characters, so the newlines go (``translate`` drops characters
    it has no replacement for)."""
    encoded = sa.func.encode(sa.func.convert_to(text, const("UTF8")), const("base64"))
    return sa.func.translate(encoded, const("+/\n" if urlsafe else "\n"), const("-_" if urlsafe else ""))


def global_id(type_name: str, pk: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    return cat(const('"'), b64(cat(const(type_name + ":"), sa.cast(pk, Text))), const('"'))


def cursor(kind: str, key: sa.ColumnElement[Any], key_kind: str, pk: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    """``api.graphql.pagination.encode_cursor`` in SQL."""
    if key_kind == "datetime":
        key_json = cat(const('{"t":"'), iso_datetime(key), const('"}'))
    else:
        key_json = cat(const('{"d":"'), sa.func.to_char(key, const("YYYY-MM-DD")), const('"}'))
    raw = cat(const(f'["{kind}",'), key_json, const(","), sa.cast(pk, Text), const("]"))
    return cat(const('"'), b64(raw, urlsafe=True), const('"'))


def json_array(element: sa.ColumnElement[str], order_by: list[Any], from_: Any, where: Any) -> sa.ColumnElement[str]:
    inner = (
        sa.select(sa.func.coalesce(
            cat(const("["), sa.func.string_agg(element, aggregate_order_by(const(","), *order_by)), const("]")),
            const("[]")))
        .select_from(from_).where(where)
    )
    return inner.scalar_subquery()


def obj(pairs: list[tuple[str, sa.ColumnElement[str]]]) -> sa.ColumnElement[str]:
    if not pairs:
        return const("{}")
    parts: list[sa.ColumnElement[str]] = []
    for i, (key, value) in enumerate(pairs):
        parts.append(const(("{" if i == 0 else ",") + f'"{key}":'))
        parts.append(value)
    parts.append(const("}"))
    return cat(*parts)

