"""``Date`` and ``DateTime`` that refuse, at parse time, what the rules cannot use.

Strawberry's own scalars accept a ``DateTime`` without an offset (a naive
timestamp that later fails deep in the database layer as a server error) and
any year Python can hold (whose date arithmetic then overflows). These parse
the same ISO 8601 text but refuse, as a client error naming the argument
(see ``api.graphql.input_errors``):

- a ``DateTime`` without a UTC offset (``2026-12-04T11:35:20``): which instant
  it means depends on a zone the server would have to guess;
- any value outside ``MIN_YEAR``–``MAX_YEAR``: nothing this office records
  (births, decisions, contracts, payments) lies outside it, and inside it every
  date computation (due dates, contract ends, ages) stays in range;
- anything that is not a string.

A ``DateTime`` is returned in UTC, so that every layer below sees one form.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dateutil.parser
from graphql import GraphQLError, StringValueNode, ValueNode, print_ast
from strawberry.types.scalar import ScalarDefinition
from core.text import t

MIN_YEAR = 1900
MAX_YEAR = 2199


class InvalidScalarInput(GraphQLError):
    """A ``Date``/``DateTime`` input the API refuses; ``input_errors`` names its argument."""

    def __init__(self, type_name: str, reason: str, node: ValueNode | None = None) -> None:
        self.type_name = type_name
        self.reason = reason
        super().__init__(t("not a valid {type}: {reason}", type=type_name, reason=reason), node)


def _shown(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 60 else text[:57] + '..."'


def _in_range(type_name: str, value: dt.date, raw: str) -> None:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise InvalidScalarInput(type_name, t("{value} is outside the years {first}–{last}", value=_shown(raw),
                                                first=MIN_YEAR, last=MAX_YEAR))


def parse_date(value: Any) -> dt.date:
    if not isinstance(value, str):
        raise InvalidScalarInput("Date", t("expected a string like \"2026-12-04\", got {value}", value=_shown(value)))
    try:
        parsed = dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidScalarInput("Date", t("{value} is not an ISO 8601 calendar date like \"2026-12-04\"",
                                           value=_shown(value))) from None
    _in_range("Date", parsed, value)
    return parsed


def parse_datetime(value: Any) -> dt.datetime:
    if not isinstance(value, str):
        raise InvalidScalarInput(
            "DateTime", t("expected a string like \"2026-12-04T11:35:20+05:00\", got {value}", value=_shown(value)))
    try:
        parsed = dateutil.parser.isoparse(value)
    except (ValueError, OverflowError):
        raise InvalidScalarInput(
            "DateTime", t("{value} is not an ISO 8601 date and time like \"2026-12-04T11:35:20+05:00\"",
                          value=_shown(value))) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise InvalidScalarInput(
            "DateTime", t("{value} has no UTC offset; add one, e.g. \"{raw}+05:00\" or \"{raw}Z\"", value=_shown(value),
                          raw=value))
    _in_range("DateTime", parsed, value)
    try:
        utc = parsed.astimezone(dt.timezone.utc)
    except OverflowError:
        raise InvalidScalarInput("DateTime", t("{value} is out of range", value=_shown(value))) from None
    _in_range("DateTime", utc, value)
    return utc


def _literal(type_name: str, parse: Any) -> Any:
    def parse_literal(node: ValueNode, _variables: Any = None) -> Any:
        if not isinstance(node, StringValueNode):
            raise InvalidScalarInput(type_name, t("expected a string, got {value}", value=print_ast(node)[:60]), node)
        try:
            return parse(node.value)
        except InvalidScalarInput as exc:  # the node lets input_errors find the argument
            raise InvalidScalarInput(type_name, exc.reason, node) from None

    return parse_literal


def _isoformat(value: dt.date) -> str:
    return value.isoformat()


DateScalar = ScalarDefinition(
    name="Date",
    description=f"Date (isoformat), e.g. 2026-12-04; years {MIN_YEAR}–{MAX_YEAR}",
    specified_by_url=None,
    serialize=_isoformat,
    parse_value=parse_date,
    parse_literal=_literal("Date", parse_date),
)

DateTimeScalar = ScalarDefinition(
    name="DateTime",
    description=(f"Date with time (isoformat) and a UTC offset, e.g. 2026-12-04T11:35:20+05:00; "
                 f"years {MIN_YEAR}–{MAX_YEAR}"),
    specified_by_url=None,
    serialize=_isoformat,
    parse_value=parse_datetime,
    parse_literal=_literal("DateTime", parse_datetime),
)

SCALAR_MAP: dict[object, ScalarDefinition] = {dt.date: DateScalar, dt.datetime: DateTimeScalar}
