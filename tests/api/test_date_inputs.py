"""Issue 13 item 8: a ``Date``/``DateTime`` the API cannot use is a client error
naming the argument (``INVALID_INPUT``), never a server error.

The positions are found by walking the schema, so an argument or input field
added later is covered without touching this file."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
    is_leaf_type,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from api.graphql.scalars import MAX_YEAR, MIN_YEAR, InvalidScalarInput, parse_date, parse_datetime
from api.graphql.schema import build_schema
from tests.conftest import GQL, token_for

SCHEMA = build_schema()._schema
DATE_TYPES = ("Date", "DateTime")
OFFICER = token_for("ADMIN", "admin-1")


def _unwrap(type_: Any) -> Any:
    return type_.of_type if isinstance(type_, GraphQLNonNull) else type_


def date_positions(type_: GraphQLInputType, path: list[str], seen: frozenset[str] = frozenset()
                   ) -> Iterator[tuple[list[str], str]]:
    """(input path, scalar name) of every Date/DateTime reachable inside ``type_``."""
    inner = _unwrap(type_)
    if isinstance(inner, GraphQLList):
        yield from date_positions(inner.of_type, [*path, "0"], seen)
    elif isinstance(inner, GraphQLScalarType) and inner.name in DATE_TYPES:
        yield path, inner.name
    elif isinstance(inner, GraphQLInputObjectType) and inner.name not in seen:
        for name, f in inner.fields.items():
            yield from date_positions(f.type, [*path, name], seen | {inner.name})


def all_positions() -> list[tuple[str, str, list[str], str]]:
    found = []
    for operation, root in (("query", SCHEMA.query_type), ("mutation", SCHEMA.mutation_type)):
        if root is None:
            continue
        for field_name, field in root.fields.items():
            for arg_name, arg in field.args.items():
                for path, scalar in date_positions(arg.type, [arg_name]):
                    found.append((operation, field_name, path, scalar))
    return found


POSITIONS = all_positions()


def sample(type_: GraphQLInputType) -> Any:
    """A well-typed JSON value for ``type_`` (required fields only)."""
    inner = _unwrap(type_)
    if isinstance(inner, GraphQLList):
        return [sample(inner.of_type)]
    if isinstance(inner, GraphQLEnumType):
        return next(iter(inner.values))
    if isinstance(inner, GraphQLInputObjectType):
        return {n: sample(f.type) for n, f in inner.fields.items() if isinstance(f.type, GraphQLNonNull)}
    assert isinstance(inner, GraphQLScalarType)
    return {"Int": 1, "Float": 1.0, "Boolean": True, "Date": "2026-12-04", "DateTime": "2026-12-04T10:00:00+05:00",
            "Decimal": "1", "JSON": {}}.get(inner.name, "x")


def with_value(type_: GraphQLInputType, path: list[str], bad: Any) -> Any:
    """``sample(type_)`` with ``bad`` at ``path`` (creating optional levels on the way)."""
    if not path:
        return bad
    inner = _unwrap(type_)
    if isinstance(inner, GraphQLList):
        return [with_value(inner.of_type, path[1:], bad)]
    assert isinstance(inner, GraphQLInputObjectType)
    value = sample(inner)
    value[path[0]] = with_value(inner.fields[path[0]].type, path[1:], bad)
    return value


class Raw(str):
    """A GraphQL literal written as is (a wrong-typed value in literal form)."""


def literal(type_: GraphQLInputType, value: Any) -> str:
    inner = _unwrap(type_)
    if isinstance(value, Raw):
        return str(value)
    if isinstance(inner, GraphQLEnumType):
        return str(value)
    if isinstance(value, dict):
        fields = {} if not isinstance(inner, GraphQLInputObjectType) else inner.fields
        parts = []
        for k, v in value.items():
            parts.append(f"{k}: {literal(fields[k].type, v) if k in fields else json.dumps(v)}")
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, list):
        item_type = inner.of_type if isinstance(inner, GraphQLList) else inner
        return "[" + ", ".join(literal(item_type, v) for v in value) + "]"
    if isinstance(inner, GraphQLScalarType) and inner.name == "JSON":
        return "{}"
    return json.dumps(value)


def selection(field_type: Any) -> str:
    named = get_named_type(field_type)
    return "" if is_leaf_type(named) else " { __typename }"


NAIVE = "2026-12-04T11:35:20"
BAD_STRINGS = [
    NAIVE, "2026-13-45", "2026-02-30", "0000-01-01", "0000-01-01T00:00:00Z", "99999-01-01",
    "99999-01-01T00:00:00+00:00", "1899-12-31", "2200-01-01T00:00:00Z", "", " ", "yesterday",
    "2026-12-04T25:00:00Z", "2026-12-04T11:35:20+25:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
    "2026-12-04\x00", "2026-12-04" * 30, "১৯৯০-০১-০১",
]
BAD_JSON = [12, 1.5, True, [], {}, ["2026-12-04"], {"date": "2026-12-04"}]
BAD_LITERALS = [Raw("12"), Raw("1.5"), Raw("true"), Raw("[]"), Raw("{}"), Raw("SOME_ENUM"), Raw('["2026-12-04"]')]


def assert_named(body: dict[str, Any], path: list[str], where: str) -> None:
    errors = body.get("errors") or []
    assert errors, f"{where}: accepted"
    codes = [(e.get("extensions") or {}).get("code") for e in errors]
    assert "INTERNAL_SERVER_ERROR" not in codes, f"{where}: {errors}"
    named = [e for e in errors if (e.get("extensions") or {}).get("code") == "INVALID_INPUT"
             and e["extensions"].get("field") == path]
    assert named, f"{where}: no INVALID_INPUT naming {path}: {errors}"
    assert path[-1] in named[0]["message"] or path[-2] in named[0]["message"], named[0]


def test_positions_are_found() -> None:
    where = {(f, ".".join(p)) for _, f, p, _ in POSITIONS}
    assert ("checkResults", "updatedSince") in where
    assert any(f == "submitApplication" and p.endswith("birthDate") for f, p in where)
    assert len(POSITIONS) >= 5


@pytest.mark.parametrize(("operation", "field_name", "path", "scalar"), POSITIONS,
                         ids=[f"{f}.{'.'.join(p)}" for _, f, p, _ in POSITIONS])
async def test_bad_date_inputs_are_named_client_errors(gql: GQL, operation: str, field_name: str,
                                                        path: list[str], scalar: str) -> None:
    root = SCHEMA.query_type if operation == "query" else SCHEMA.mutation_type
    field = root.fields[field_name]
    arg_name = path[0]
    arg = field.args[arg_name]
    others = {n: a for n, a in field.args.items() if n != arg_name and isinstance(a.type, GraphQLNonNull)}
    sel = selection(field.type)
    bad_strings = BAD_STRINGS if scalar == "DateTime" else [s for s in BAD_STRINGS if s != NAIVE] + [NAIVE + "Z"]

    # as variables: the argument's whole value in JSON
    var_defs = ", ".join([f"$v: {arg.type}", *(f"${n}: {a.type}" for n, a in others.items())])
    call = ", ".join([f"{arg_name}: $v", *(f"{n}: ${n}" for n in others)])
    doc = f"{operation}({var_defs}) {{ {field_name}({call}){sel} }}"
    for bad in [*bad_strings, *BAD_JSON]:
        variables = {"v": with_value(arg.type, path[1:], bad), **{n: sample(a.type) for n, a in others.items()}}
        response = await gql.raw(doc, variables, token=OFFICER)
        assert response.status_code == 200, response.text
        assert_named(response.json(), path, f"variable {bad!r}")

    # as literals in the document
    others_literal = [f"{n}: {literal(a.type, sample(a.type))}" for n, a in others.items()]
    for bad in [*bad_strings, *BAD_LITERALS]:
        value = literal(arg.type, with_value(arg.type, path[1:], bad))
        doc = f"{operation} {{ {field_name}({', '.join([f'{arg_name}: {value}', *others_literal])}){sel} }}"
        response = await gql.raw(doc, token=OFFICER)
        assert response.status_code == 200, response.text
        assert_named(response.json(), path, f"literal {bad!r} in {doc}")


async def test_naive_updated_since_is_invalid_input_not_a_crash(gql: GQL) -> None:
    # the reproduction, literal and variable, on the compiled path too (PostgreSQL)
    body = await gql(f'{{ checkResults(updatedSince: "{NAIVE}") {{ edges {{ cursor }} }} }}', token=OFFICER)
    error = body["errors"][0]
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert error["extensions"]["field"] == ["updatedSince"]
    assert "updatedSince" in error["message"] and "offset" in error["message"]
    body = await gql("query($s: DateTime) { checkResults(updatedSince: $s) { edges { cursor } } }",
                     {"s": NAIVE}, token=OFFICER)
    error = body["errors"][0]
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert error["extensions"]["field"] == ["updatedSince"]
    assert error["extensions"]["variable"] == "s"


async def test_an_offset_datetime_still_works(gql: GQL) -> None:
    for since in ("2026-12-04T11:35:20+05:00", "2026-12-04T06:35:20Z", "2026-12-04T06:35:20.123456+00:00"):
        data = await gql.ok(f'{{ checkResults(updatedSince: "{since}") {{ edges {{ cursor }} }} }}', token=OFFICER)
        assert data["checkResults"]["edges"] == []
        data = await gql.ok("query($s: DateTime) { checkResults(updatedSince: $s) { edges { cursor } } }",
                            {"s": since}, token=OFFICER)
        assert data["checkResults"]["edges"] == []


async def test_graphql_response_media_type_answers_400(gql: GQL) -> None:
    response = await gql.client.post(
        "/graphql", json={"query": f'{{ checkResults(updatedSince: "{NAIVE}") {{ edges {{ cursor }} }} }}'},
        headers={"Authorization": f"Bearer {OFFICER}", "accept": "application/graphql-response+json"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


# ---------------------------------------------------------------- the parsers themselves


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), st.integers(), st.floats(), st.none(), st.booleans(),
                 st.datetimes().map(dt.datetime.isoformat), st.dates().map(dt.date.isoformat),
                 st.datetimes(timezones=st.timezones()).map(dt.datetime.isoformat)))
def test_parsers_return_a_usable_value_or_refuse(value: Any) -> None:
    for parse in (parse_date, parse_datetime):
        try:
            parsed = parse(value)
        except InvalidScalarInput as exc:
            assert exc.reason
            continue
        assert MIN_YEAR <= parsed.year <= MAX_YEAR
        if isinstance(parsed, dt.datetime):
            assert parsed.utcoffset() == dt.timedelta(0)
            # what the rules do with it cannot overflow
            parsed + dt.timedelta(days=5 * 366)
            parsed.astimezone(dt.timezone(dt.timedelta(hours=14)))
        else:
            parsed + dt.timedelta(days=5 * 366)
