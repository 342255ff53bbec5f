"""The plan of one query: objects, fields, scores and connections as JSON
expressions. The field → column mapping is ``api.graphql.readmap`` and who sees
which rows and fields is ``services.access``, exactly as for the resolvers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from graphql import (
    FieldNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
)
from graphql.execution.collect_fields import FragmentDetails, collect_subfields
from graphql.execution.values import get_argument_values
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.sql.util import ClauseAdapter

from api.graphql.compiler.sqljson import (
    CannotCompile,
    Text,
    cat,
    const,
    global_id,
    json_array,
    json_string,
    json_value,
    obj,
)
from api.graphql.readmap import (
    BASIS_FIELDS,
    SCORE_BASIS,
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
from services import access
from services.scoring.results import RENDERED
from services.viewer import Viewer

# Fields one compiled statement may render; larger selections run normally.
FIELD_BUDGET = 120


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




def row_filter(model: type, alias: Any, viewer: Viewer) -> Any:
    """``services.access``' row filter of ``model``, on the table alias ``alias``."""
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
        pairs.append((key, field_json(c, spec, alias, field_details, gql_type.fields[name], joins, mapping.model)))
    return obj(pairs)


def field_json(c: Compilation, spec: Any, alias: Any, details: list[Any], field_def: GraphQLField,
               joins: list[Any], source: type) -> sa.ColumnElement[str]:
    """One field of a ``source`` row read from ``alias`` (which passed ``source``'s row filter)."""
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
        where = target.c.id == alias.c[spec.fk]
        if not access.implied(source, spec.fk):  # a filter the source row's own implies is left out
            where = sa.and_(where, row_filter(target_map.model, target, c.viewer))
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
        where = sa.and_(target.c[spec.fk] == alias.c.id, row_filter(target_map.model, target, c.viewer))
        if spec.many:
            order = [target.c[col] for col in spec.order] + [target.c.id]
            return json_array(element, [col.desc() for col in order] if spec.newest_first else order, from_, where)
        value = sa.select(element).select_from(from_).where(where).scalar_subquery()
        return sa.func.coalesce(value, const("null"))
    raise CannotCompile(repr(spec))


def basis_json(c: Compilation, basis: sa.ColumnElement[Any], details: list[Any]) -> sa.ColumnElement[str]:
    """A ``Basis`` (the legal source in kk/ru/en) read from ``basis``, a stored
    result's JSON object, or null where the result cites none (its key is absent)."""
    fields = c.subfields(c.schema.type_map["Basis"], details)
    c.spend(len(fields))
    pairs = []
    for key, field_details in fields.items():
        name = field_details[0].node.name.value
        if name == "__typename":
            pairs.append((key, const('"Basis"')))
        elif name in BASIS_FIELDS and access.reads(c.viewer, "Basis", name):
            pairs.append((key, json_string(basis.op("->>", return_type=Text)(const(name)))))
        else:
            raise CannotCompile(f"Basis.{name}")
    return sa.case((basis.is_(None), const("null")), else_=obj(pairs))


def score_field(c: Compilation, name: str, alias: Any, details: list[Any]) -> sa.ColumnElement[str]:
    result = alias.c.result
    explanation = alias.c.explanation  # the lines' legal sources, by code (services.scoring.results.split)
    if name == SCORE_BASIS:
        return basis_json(c, explanation.op("->", return_type=sa.JSON)(const(name)), details)
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
        asked = [(key, field_details[0].node.name.value) for key, field_details in sub.items()]
        if asked == [(item_name, item_name) for item_name in SCORE_ITEM_FIELDS[item_type]] \
                and all(access.reads(c.viewer, item_type, item_name) for _, item_name in asked):
            return alias.c[RENDERED[name]]  # every field, in order: as the score keeps them printed
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
            if item_name == "basis":
                code = elements.c.value.op("->>", return_type=Text)(const("code"))
                explained = sa.func.jsonb_extract_path(explanation, const(name), code, const(item_name),
                                                       type_=sa.JSON)
                pairs.append((key, basis_json(c, explained, field_details)))
                continue
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


# ---------------------------------------------------------------- connections


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


def connection_json(c: Compilation, conn_type: str, node_type: str, details: list[Any], page: Any, key: str,
                    cursor_of: Callable[[Any, Any], sa.ColumnElement[str]], has_previous: bool,
                    total: Any | None) -> sa.ColumnElement[str]:
    """A connection over ``page`` (a subquery of the node's table with ``rn``, its row
    number, ordered by its column ``key`` then ``id``), built by ONE aggregate over
    the page: the edges, whether a next page exists and the first and last cursors
    are read in the same scan (each a scalar subquery of its own, the page was
    scanned three times: 0.7 ms of the agencies' feed page on PostgreSQL)."""
    gql_conn = c.schema.type_map[conn_type]
    limit = sa.bindparam("page_limit", None, type_=sa.Integer)
    shown = page.c.rn <= limit

    def at(column: Any, order: Any) -> Any:
        """``column`` of the first shown row in ``order`` (of ``rn``)."""
        values = postgresql.array_agg(aggregate_order_by(column, order)).filter(shown)
        return sa.type_coerce(values, postgresql.ARRAY(column.type))[1]

    pairs = []
    joins: list[Any] = []
    for name_key, field_details in c.subfields(gql_conn, details).items():
        name = field_details[0].node.name.value
        if name == "__typename":
            pairs.append((name_key, const(f'"{conn_type}"')))
        elif name == "totalCount":
            if total is None:
                raise CannotCompile("totalCount")
            pairs.append((name_key, sa.cast(total, Text)))
        elif name == "edges":
            edge_type = c.schema.type_map[f"{node_type}Edge"]
            edge_pairs = []
            for ekey, edetails in c.subfields(edge_type, field_details).items():
                ename = edetails[0].node.name.value
                if ename == "__typename":
                    edge_pairs.append((ekey, const(f'"{edge_type.name}"')))
                elif ename == "cursor":
                    edge_pairs.append((ekey, cursor_of(page.c[key], page.c.id)))
                elif ename == "node":
                    edge_pairs.append((ekey, object_json(c, node_type, page, edetails, joins)))
                else:
                    raise CannotCompile(ename)
            edges = sa.func.string_agg(obj(edge_pairs), aggregate_order_by(const(","), page.c.rn)).filter(shown)
            pairs.append((name_key, sa.func.coalesce(cat(const("["), edges, const("]")), const("[]"))))
        elif name == "pageInfo":
            start = cursor_of(at(page.c[key], page.c.rn), at(page.c.id, page.c.rn))
            end = cursor_of(at(page.c[key], page.c.rn.desc()), at(page.c.id, page.c.rn.desc()))
            pairs.append((name_key, page_info_json(c, field_details, sa.func.count() > limit, has_previous,
                                                   start, end)))
        else:
            raise CannotCompile(name)
    # One row, also when nothing asked aggregates (``{ totalCount }``): the empty
    # grouping set. The lookups the edges' nodes join return at most one row each,
    # so the count stays the page's.
    return (sa.select(obj(pairs)).select_from(with_joins(page, joins)).group_by(sa.text("()"))
            .scalar_subquery())


def page_subquery(plan: Any, table: Any) -> Any:
    rn = sa.func.row_number().over(order_by=plan.order).label("rn")
    return (plan.stmt.with_only_columns(*table.c, rn)
            .limit(sa.bindparam("page_limit_plus", None, type_=sa.Integer)).subquery("page"))


