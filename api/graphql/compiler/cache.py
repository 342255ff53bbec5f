"""Prepared statements: one per query shape and caller class (a bounded LRU),
with the arguments of each request in their order."""

from __future__ import annotations

import enum
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from graphql import DocumentNode, FragmentDefinitionNode, GraphQLSchema, OperationDefinitionNode, OperationType
from graphql.execution.collect_fields import FragmentDetails, collect_fields
from graphql.execution.values import get_variable_values
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from api.graphql.compiler.planning import Compilation
from api.graphql.compiler.roots import ROOTS, RootPlan
from api.graphql.compiler.sqljson import CannotCompile, const, obj
from api.graphql.visibility import filter_fields
from services import access, search
from services.viewer import Viewer


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
    so they are part of the text, not parameters) and name the agency itself
    (the residence events it reported), so each agency has statements of its own."""
    caller = access.caller_of(viewer)
    if caller is access.Caller.AGENCY:
        return (caller.value, viewer.agency_id, tuple(sorted(viewer.readable_check_type_ids)))
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
        if any(a.name.value == "filter" for a in details[0].node.arguments or ()) and access.refused_filter(
                viewer, name, filter_fields(c.args(query_type.fields[name], details[0].node).get("filter"))):
            raise CannotCompile("filter")  # normal execution refuses it (``visibility.RootGuard``)
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
        # bytea: asyncpg hands over the bytes as they came, RawJSON keeps them so
        prepared = prepare(sa.select(sa.func.convert_to(obj(pairs), const("UTF8"))))
        _CACHE[cache_key] = prepared
        if len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(cache_key)
    return prepared, prepared.arguments(params)


# The texts answered by the compiled path, for its lane (``compiler.lane``):
# (schema, query text, operation name as sent) → (document, the operation's name).
KNOWN: OrderedDict[tuple[Any, str, str | None], tuple[DocumentNode, str | None]] = OrderedDict()
KNOWN_SIZE = 256


def remember(schema: GraphQLSchema, query: str, operation_name: str | None, document: DocumentNode) -> None:
    """``query`` was validated against ``schema`` and answered by the compiled path."""
    key = (schema, query, operation_name)
    if key in KNOWN:
        KNOWN.move_to_end(key)
        return
    name = operation_name
    if name is None:
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        name = operations[0].name.value if len(operations) == 1 and operations[0].name else None
    KNOWN[key] = (document, name)
    if len(KNOWN) > KNOWN_SIZE:
        KNOWN.popitem(last=False)
