"""The compiled read path.

After validation, a query whose every root field this module knows is turned
into ONE SQL statement that returns the finished JSON text of ``data``, and
graphql-core's per-field execution is skipped. Everything else (mutations,
introspection, fields with resolvers it does not know, agency keys, errors of
any kind) goes to normal execution, which stays the reference: the differential
tests check that both produce the same bytes.

What keeps the two engines equal:
- the field → column mapping is ``api.graphql.readmap`` (the resolvers read the
  same description);
- who sees which rows is ``services.access`` (one SQL row filter per type),
  applied here to every table alias;
- the page query (filters, order, cursor) is ``api.graphql.queries``' own;
- values are rendered exactly as Strawberry serialises them (ISO timestamps in
  UTC with microseconds only when present, decimals as text, base64 global IDs,
  cursors as the same base64 JSON), and the HTTP layer writes compact JSON.

PostgreSQL only; on SQLite every query runs normally.
"""

from __future__ import annotations

import enum
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import reduce
from typing import Any

import sqlalchemy as sa
import structlog
from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
)
from graphql.execution.collect_fields import FragmentDetails, collect_fields, collect_subfields
from graphql.execution.values import get_argument_values, get_variable_values
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.sql.util import ClauseAdapter
from strawberry.extensions import SchemaExtension

import models as m
from api.graphql import ids
from api.graphql.readmap import (
    SCORE_ITEM_FIELDS,
    SCORE_LISTS,
    SCORE_RESULT_FIELDS,
    TYPES,
    Child,
    Column,
    Derived,
    Lookup,
    Ref,
)
from core.metrics import COMPILED_QUERIES
from core.readpool import read_pool
from services import access, search
from services.viewer import Viewer

Text = sa.Text()
log = structlog.get_logger("qonys.compiler")


# Fields one compiled statement may render; larger selections run normally.
FIELD_BUDGET = 120


class CannotCompile(Exception):
    """This query goes to normal execution."""


class RawJSON(str):
    """The finished JSON text of ``data``, spliced into the response as is."""


# ---------------------------------------------------------------- SQL text helpers


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


# ---------------------------------------------------------------- the plan


@dataclass
class Compilation:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDetails]
    variables: Any
    operation: OperationDefinitionNode
    viewer: Viewer
    fields_used: int = 0

    def spend(self, n: int) -> None:
        """Bound the work of building one statement: a very large selection runs normally."""
        self.fields_used += n
        if self.fields_used > FIELD_BUDGET:
            raise CannotCompile("selection too large to compile")

    def subfields(self, type_: GraphQLObjectType, details: list[Any]) -> dict[str, list[Any]]:
        return collect_subfields(self.schema, self.fragments, self.variables, self.operation, type_, details).grouped_field_set

    def args(self, field_def: GraphQLField, node: FieldNode) -> dict[str, Any]:
        return get_argument_values(field_def, node, self.variables)


def _named(type_: Any) -> tuple[Any, bool, bool]:
    """(named type, non-null, list)."""
    non_null = isinstance(type_, GraphQLNonNull)
    if non_null:
        type_ = type_.of_type
    is_list = isinstance(type_, GraphQLList)
    if is_list:
        type_ = type_.of_type
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
    return type_, non_null, is_list


def _row_filter(model: type, alias: Any, viewer: Viewer) -> Any:
    return ClauseAdapter(alias).traverse(access.row_filter(model, viewer))


# Reference data that many rows of one statement point at: a reference to one of
# these is a LATERAL subquery (with OFFSET 0, so that it stays a subquery) that
# PostgreSQL memoises per key, so each check type's or region's JSON is built once
# per statement instead of once per row (120 checks of 11 types: 11 builds).
SHARED_REFERENCE = frozenset({"Region", "CheckType", "Agency"})


def object_from(c: Compilation, type_name: str, alias: Any, details: list[Any]) -> tuple[sa.ColumnElement[str], Any]:
    """The JSON text of one object of ``type_name`` read from ``alias``, and the FROM
    clause to select it from (``alias`` with the lateral lookups it needs)."""
    joins: list[Any] = []
    element = object_json(c, type_name, alias, details, joins)
    return element, with_joins(alias, joins)


def with_joins(alias: Any, joins: list[Any]) -> Any:
    from_ = alias
    for lateral in joins:
        from_ = from_.outerjoin(lateral, sa.true())
    return from_


def _shared_lookup(joins: list[Any], value: sa.ColumnElement[str], from_: Any, where: Any) -> sa.ColumnElement[str]:
    lateral = sa.select(value.label("j")).select_from(from_).where(where).offset(0).lateral()
    joins.append(lateral)
    return sa.func.coalesce(lateral.c.j, const("null"))


def object_json(c: Compilation, type_name: str, alias: Any, details: list[Any], joins: list[Any]) -> sa.ColumnElement[str]:
    """The JSON text of one object of ``type_name`` read from ``alias``; the lateral
    lookups it needs are added to ``joins`` (see ``object_from``)."""
    gql_type = c.schema.type_map[type_name]
    assert isinstance(gql_type, GraphQLObjectType)
    fields = c.subfields(gql_type, details)
    c.spend(len(fields))
    mapping = TYPES.get(type_name)
    pairs: list[tuple[str, sa.ColumnElement[str]]] = []
    for key, field_details in fields.items():
        node = field_details[0].node
        name = node.name.value
        if name == "__typename":
            pairs.append((key, const(f'"{type_name}"')))
            continue
        if not access.reads(c.viewer, type_name, name):  # hidden: null, or an empty list
            _, _, is_list = _named(gql_type.fields[name].type)
            pairs.append((key, const("[]" if is_list else "null")))
            continue
        if type_name == "Score":
            pairs.append((key, score_field(c, name, alias, field_details)))
            continue
        if mapping is None:
            raise CannotCompile(type_name)
        if name == "id" and mapping.node:
            pairs.append((key, global_id(type_name, alias.c.id)))
            continue
        spec = mapping.fields.get(name)
        if spec is None:
            raise CannotCompile(f"{type_name}.{name}")
        pairs.append((key, field_json(c, spec, alias, field_details, gql_type.fields[name], joins)))
    return obj(pairs)


def field_json(c: Compilation, spec: Any, alias: Any, details: list[Any], field_def: GraphQLField,
               joins: list[Any]) -> sa.ColumnElement[str]:
    if isinstance(spec, Column):
        return json_value(alias.c[spec.column], spec.kind)
    if isinstance(spec, Derived):
        return json_value(spec.compute(*(alias.c[column] for column in spec.columns)), spec.kind)
    if isinstance(spec, Lookup):  # a code of reference data
        target = spec.model.__table__.alias()
        return _shared_lookup(joins, sa.cast(sa.func.to_json(target.c[spec.column]), Text), target,
                              target.c.id == alias.c[spec.fk])
    named, non_null, _ = _named(field_def.type)
    if isinstance(spec, Ref):
        target_map = TYPES[spec.target]
        target = target_map.model.__table__.alias()
        if non_null and spec.target in ("Application",):
            raise CannotCompile("non-null reference under a row filter")
        where = sa.and_(target.c.id == alias.c[spec.fk], _row_filter(target_map.model, target, c.viewer))
        element, from_ = object_from(c, spec.target, target, details)
        if spec.target in SHARED_REFERENCE:
            return _shared_lookup(joins, element, from_, where)
        return sa.func.coalesce(sa.select(element).select_from(from_).where(where).scalar_subquery(), const("null"))
    if isinstance(spec, Child):
        target_map = TYPES[spec.target] if spec.target in TYPES else None
        if target_map is None:
            raise CannotCompile(spec.target)
        target = target_map.model.__table__.alias()
        element, from_ = object_from(c, spec.target, target, details)
        where = sa.and_(target.c[spec.fk] == alias.c.id, _row_filter(target_map.model, target, c.viewer))
        if spec.many:
            return json_array(element, [target.c[col] for col in spec.order] + [target.c.id], from_, where)
        value = sa.select(element).select_from(from_).where(where).scalar_subquery()
        return sa.func.coalesce(value, const("null"))
    raise CannotCompile(repr(spec))


def score_field(c: Compilation, name: str, alias: Any, details: list[Any]) -> sa.ColumnElement[str]:
    result = alias.c.result
    if name in SCORE_RESULT_FIELDS:
        raw = result.op("->>", return_type=Text)(const(SCORE_RESULT_FIELDS[name]))
        return raw  # integers and booleans print as JSON already
    spec = TYPES["Score"].fields.get(name)
    if isinstance(spec, Column):  # modelVersion, computedAt, stale: columns of the score row
        return json_value(alias.c[spec.column], spec.kind)
    if name in SCORE_LISTS:
        item_type = SCORE_LISTS[name]
        gql_item = c.schema.type_map[item_type]
        sub = c.subfields(gql_item, details)
        elements = sa.func.jsonb_array_elements(result.op("->", return_type=sa.JSON)(const(name))).table_valued(
            "value", with_ordinality="ordinality").alias("e")
        pairs = []
        for key, field_details in sub.items():
            item_name = field_details[0].node.name.value
            if item_name == "__typename":
                pairs.append((key, const(f'"{item_type}"')))
                continue
            if not access.reads(c.viewer, item_type, item_name):
                raise CannotCompile(f"{item_type}.{item_name} hidden")
            kind = SCORE_ITEM_FIELDS[item_type].get(item_name)
            if kind is None:
                raise CannotCompile(item_name)
            text = elements.c.value.op("->>", return_type=Text)(const(item_name))
            if kind == "str":
                pairs.append((key, json_string(text)))
            else:
                pairs.append((key, text))
        inner = sa.select(sa.func.coalesce(
            cat(const("["), sa.func.string_agg(obj(pairs), aggregate_order_by(const(","), elements.c.ordinality)),
                const("]")), const("[]"))).select_from(elements)
        return inner.scalar_subquery()
    raise CannotCompile(f"Score.{name}")


# ---------------------------------------------------------------- root fields


def page_info_json(c: Compilation, details: list[Any], has_next: Any, has_previous: bool,
                   start: Any, end: Any) -> sa.ColumnElement[str]:
    type_ = c.schema.type_map["PageInfo"]
    pairs = []
    for key, field_details in c.subfields(type_, details).items():
        name = field_details[0].node.name.value
        if name == "__typename":
            pairs.append((key, const('"PageInfo"')))
        elif name == "hasNextPage":
            pairs.append((key, sa.case((has_next, const("true")), else_=const("false"))))
        elif name == "hasPreviousPage":
            pairs.append((key, const("true" if has_previous else "false")))
        elif name == "startCursor":
            pairs.append((key, sa.func.coalesce(start, const("null"))))
        elif name == "endCursor":
            pairs.append((key, sa.func.coalesce(end, const("null"))))
        else:
            raise CannotCompile(name)
    return obj(pairs)


def connection_json(c: Compilation, conn_type: str, node_type: str, details: list[Any], page: Any,
                    cursor_of: Callable[[Any], sa.ColumnElement[str]], has_previous: bool,
                    total: Any | None) -> sa.ColumnElement[str]:
    """A connection over ``page`` (a subquery of the node's table with ``rn``, its row number)."""
    gql_conn = c.schema.type_map[conn_type]
    limit = sa.bindparam("page_limit", None, type_=sa.Integer)
    shown = page.c.rn <= limit
    pairs = []
    for key, field_details in c.subfields(gql_conn, details).items():
        name = field_details[0].node.name.value
        if name == "__typename":
            pairs.append((key, const(f'"{conn_type}"')))
        elif name == "totalCount":
            if total is None:
                raise CannotCompile("totalCount")
            pairs.append((key, sa.cast(total, Text)))
        elif name == "edges":
            edge_type = c.schema.type_map[f"{node_type}Edge"]
            edge_pairs = []
            edge_joins: list[Any] = []
            for ekey, edetails in c.subfields(edge_type, field_details).items():
                ename = edetails[0].node.name.value
                if ename == "__typename":
                    edge_pairs.append((ekey, const(f'"{edge_type.name}"')))
                elif ename == "cursor":
                    edge_pairs.append((ekey, cursor_of(page)))
                elif ename == "node":
                    edge_pairs.append((ekey, object_json(c, node_type, page, edetails, edge_joins)))
                else:
                    raise CannotCompile(ename)
            edges = sa.select(sa.func.coalesce(
                cat(const("["), sa.func.string_agg(obj(edge_pairs), aggregate_order_by(const(","), page.c.rn)),
                    const("]")), const("[]"))).select_from(with_joins(page, edge_joins)).where(shown)
            pairs.append((key, edges.scalar_subquery()))
        elif name == "pageInfo":
            has_next = sa.select(sa.func.count() > limit).select_from(page).scalar_subquery()
            start = sa.select(cursor_of(page)).select_from(page).where(page.c.rn == 1).scalar_subquery()
            end = (sa.select(cursor_of(page)).select_from(page).where(shown)
                   .order_by(page.c.rn.desc()).limit(1).scalar_subquery())
            pairs.append((key, page_info_json(c, field_details, has_next, has_previous, start, end)))
        else:
            raise CannotCompile(name)
    return obj(pairs)


def _page(plan: Any, table: Any) -> Any:
    rn = sa.func.row_number().over(order_by=plan.order).label("rn")
    return (plan.stmt.with_only_columns(*table.c, rn)
            .limit(sa.bindparam("page_limit_plus", None, type_=sa.Integer)).subquery("page"))


@dataclass
class RootPlan:
    """What one root field needs: the values of this request, the shape that
    decides the statement's text, and how to build it (only on a cache miss)."""

    params: dict[str, Any]
    shape: tuple[Any, ...]
    build: Callable[[], sa.ColumnElement[str]]


def applications_root(c: Compilation, details: list[Any], field_def: GraphQLField) -> RootPlan:
    from api.graphql.queries import ApplicationFilter, ApplicationOrder, application_page

    viewer = c.viewer
    if not access.may_ask(viewer, "applications"):
        raise CannotCompile("viewer")
    args = c.args(field_def, details[0].node)
    raw_filter = args.get("filter")
    filter_ = None
    if raw_filter is not None:
        filter_ = ApplicationFilter(
            status=raw_filter.get("status"), route=raw_filter.get("route"),
            region_code=raw_filter.get("regionCode"), overdue=raw_filter.get("overdue"),
            search=raw_filter.get("search"))
    try:
        plan = application_page(viewer, first=args.get("first"), after=args.get("after"), filter=filter_,
                                order_by=ApplicationOrder(args.get("orderBy") or "NEWEST_FIRST"))
    except Exception as exc:  # a bad cursor or page size: normal execution reports it
        raise CannotCompile(str(exc)) from None
    params = {**plan.params, "page_limit": plan.limit, "page_limit_plus": plan.limit + 1}
    key_kind = "date" if plan.kind == "due" else "datetime"
    key_col = "due_date" if plan.kind == "due" else "submitted_at"

    def build() -> sa.ColumnElement[str]:
        page = _page(plan, m.Application.__table__)
        return connection_json(c, "ApplicationConnection", "Application", details, page,
                               lambda p: cursor(plan.kind, p.c[key_col], key_kind, p.c.id), plan.has_previous,
                               plan.count_stmt.scalar_subquery())

    return RootPlan(params, plan.shape, build)


def application_root(c: Compilation, details: list[Any], field_def: GraphQLField) -> RootPlan:
    from api.graphql.queries import named_params

    viewer = c.viewer
    if not access.may_ask(viewer, "application"):
        raise CannotCompile("viewer")
    args = c.args(field_def, details[0].node)
    pk = ids.decode_as(str(args["id"]), "Application")
    if pk is None:
        raise CannotCompile("id")
    alias = m.Application.__table__.alias("a")
    row_filter = _row_filter(m.Application, alias, viewer)
    params = {"application_id": pk, **named_params(row_filter)}

    def build() -> sa.ColumnElement[str]:
        element, from_ = object_from(c, "Application", alias, details)
        value = (sa.select(element).select_from(from_)
                 .where(alias.c.id == sa.bindparam("application_id", None, type_=sa.Integer), row_filter)
                 .scalar_subquery())
        return sa.func.coalesce(value, const("null"))

    return RootPlan(params, ("application", tuple(sorted(params))), build)


def check_results_root(c: Compilation, details: list[Any], field_def: GraphQLField) -> RootPlan:
    from api.graphql.queries import check_feed_page

    viewer = c.viewer
    if not access.may_ask(viewer, "checkResults"):
        raise CannotCompile("viewer")
    args = c.args(field_def, details[0].node)
    try:
        plan = check_feed_page(viewer, first=args.get("first"), after=args.get("after"),
                               updated_since=args.get("updatedSince"), status=args.get("status"))
    except Exception as exc:
        raise CannotCompile(str(exc)) from None
    params = {**plan.params, "page_limit": plan.limit, "page_limit_plus": plan.limit + 1}

    def build() -> sa.ColumnElement[str]:
        page = _page(plan, m.Check.__table__)
        return connection_json(c, "CheckConnection", "Check", details, page,
                               lambda p: cursor("feed", p.c.updated_at, "datetime", p.c.id), plan.has_previous, None)

    return RootPlan(params, plan.shape, build)


ROOTS: dict[str, Callable[[Compilation, list[Any], GraphQLField], RootPlan]] = {
    "applications": applications_root,
    "application": application_root,
    "checkResults": check_results_root,
}


@dataclass(frozen=True)
class Prepared:
    """One compiled statement: its SQL text, its parameters in order, and the
    values and converters of the parameters the request does not supply."""

    sql: str
    names: tuple[str, ...]
    defaults: dict[str, Any]
    processors: dict[str, Callable[[Any], Any]]

    def arguments(self, params: dict[str, Any]) -> list[Any]:
        out = []
        for name in self.names:
            value = params[name] if name in params else self.defaults[name]
            processor = self.processors.get(name)
            out.append(processor(value) if processor is not None else value)
        return out


_DIALECT = PGDialect_asyncpg()
# Parameters whose values come with each request (the others are constants of the text).
PER_REQUEST = frozenset({"viewer_subject", "f_status", "f_route", "f_region", "f_today", "after_key", "after_id",
                         "updated_since", "page_limit", "page_limit_plus", "application_id", "f_check_status",
                         *(f"f_search_{i}" for i in range(search.WORDS_MAX))})
_CACHE: OrderedDict[tuple[Any, ...], Prepared] = OrderedDict()
CACHE_SIZE = 512


def prepare(stmt: sa.Select[Any]) -> Prepared:
    compiled = stmt.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
    names = tuple(compiled.positiontup or ())
    defaults = {k: (v.value if isinstance(v, enum.Enum) else v) for k, v in compiled.params.items()}
    return Prepared(compiled.string, names, defaults,
                    {k: v for k, v in compiled._bind_processors.items() if v is not None and k not in defaults
                     or k in PER_REQUEST})


def viewer_class(viewer: Viewer) -> tuple[Any, ...]:
    """What, besides the query, decides a statement's text for this viewer. An
    agency's row filters list the check types it may read (fixed for the agency,
    so they are part of the text, not parameters)."""
    caller = access.caller_of(viewer)
    if caller is access.Caller.AGENCY:
        return (caller.value, tuple(sorted(viewer.readable_check_type_ids)))
    return (caller.value,)


def plan_operation(schema: GraphQLSchema, document: Any, query_text: str, operation_name: str | None,
                   raw_variables: dict[str, Any] | None, viewer: Viewer) -> tuple[Prepared, list[Any]]:
    """The prepared statement for this query (built once per shape) and this request's arguments."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1 or operations[0].operation != OperationType.QUERY:
        raise CannotCompile("operation")
    operation = operations[0]
    fragments = {d.name.value: FragmentDetails(d) for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    variables = get_variable_values(schema, operation.variable_definitions or (), raw_variables or {})
    if isinstance(variables, list):
        raise CannotCompile("variables")
    query_type = schema.query_type
    assert query_type is not None
    roots = collect_fields(schema, fragments, variables, query_type, operation).grouped_field_set
    c = Compilation(schema, fragments, variables, operation, viewer)
    plans: list[tuple[str, RootPlan | None]] = []
    params: dict[str, Any] = {}
    for key, details in roots.items():
        name = details[0].node.name.value
        if name == "__typename":
            plans.append((key, None))
            continue
        factory = ROOTS.get(name)
        if factory is None:
            raise CannotCompile(name)
        root = factory(c, details, query_type.fields[name])
        for pname, value in root.params.items():
            if pname in params and params[pname] != value:
                raise CannotCompile("two root fields with different arguments")
            params[pname] = value
        plans.append((key, root))
    # Booleans decide @skip/@include; everything else that changes the text is in the root shapes.
    switches = tuple(sorted((k, v) for k, v in variables.coerced.items() if isinstance(v, bool)))
    cache_key = (query_text, operation_name, viewer_class(viewer), switches,
                 tuple((k, p.shape if p else None) for k, p in plans))
    prepared = _CACHE.get(cache_key)
    if prepared is None:
        pairs = [(k, const('"Query"') if p is None else p.build()) for k, p in plans]
        prepared = prepare(sa.select(obj(pairs)))
        _CACHE[cache_key] = prepared
        if len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(cache_key)
    return prepared, prepared.arguments(params)


class CompiledReadPath(SchemaExtension):
    """Runs compilable queries as one SQL statement and skips per-field execution."""

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        ctx = self.execution_context
        context = ctx.context
        settings = getattr(context, "settings", None)
        if (
            settings is not None
            and settings.compiled_reads
            and not settings.is_sqlite
            and ctx.graphql_document is not None
            and ctx.query is not None
        ):
            try:
                prepared, arguments = plan_operation(ctx.schema._schema, ctx.graphql_document, ctx.query,
                                                     ctx.operation_name, ctx.variables, context.viewer)
            except CannotCompile:
                prepared = None
            except Exception:  # noqa: BLE001 - never a crash here: normal execution answers, with its own errors
                log.warning("compiled_read.plan_failed", exc_info=True)
                prepared = None
            if prepared is not None:
                engine = context.sessions.kw["bind"]  # the engine itself, whose dispose() closes its read pool
                text = None
                try:
                    # One prepared statement on a pooled asyncpg connection: one round
                    # trip, no transaction (a single statement is its own snapshot).
                    text = await read_pool(engine, settings).fetchval(prepared.sql, arguments)
                except Exception:  # noqa: BLE001 - normal execution answers, with its own errors
                    log.warning("compiled_read.fallback", exc_info=True)
                else:
                    if text is None:  # a NULL inside the concatenation: a compiler bug, never a wrong answer
                        log.warning("compiled_read.null_result", operation=ctx.operation_name)
                if text is not None:
                    context.extras["compiled"] = True
                    COMPILED_QUERIES.inc()
                    ctx.result = ExecutionResult(data=RawJSON(text), errors=None)
        yield
