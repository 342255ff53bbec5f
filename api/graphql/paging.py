"""The keyset pager every connection uses.

A root field describes its page as a ``PagePlan`` (row filter, filters, sort key,
cursor); ``connection`` runs the plan and builds the edges, ``pageInfo`` and
``totalCount``. The compiled read path (``api.graphql.compiler``) turns the same
plan into SQL, so the two engines page alike. Cursors are
``api.graphql.pagination``'s: the sort key and id of a row, never an offset."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import cached_property, lru_cache
from typing import Any

import strawberry
from sqlalchemy import Select, bindparam, func, select, tuple_
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter

from api.graphql.context import Info
from api.graphql.pagination import decode_cursor, encode_cursor, page_size
from api.graphql.types import Connection, Edge, PageInfo

Built = tuple[Select[Any], tuple[Any, ...], Select[Any] | None]


@dataclass(frozen=True)
class PagePlan:
    """A keyset page, shared by the resolvers and the compiled read path.

    ``params`` holds the values of the request's named parameters and ``shape``
    what decides the statement's text, both known without building any SQL: the
    compiled read path builds the statements (``stmt``, ``order``, ``count_stmt``)
    only when it meets a new shape, and the resolvers build them on first use.
    The rows are sorted by ``key`` (a column of the paged table) and id; a cursor
    of ``kind`` carries both."""

    limit: int
    kind: str
    key: str
    has_previous: bool
    counted: bool
    params: dict[str, Any]
    shape: tuple[Any, ...]
    build: Callable[[], Built]

    @cached_property
    def _built(self) -> Built:
        return self.build()

    @property
    def stmt(self) -> Select[Any]:
        """The filtered, ordered SELECT, without its LIMIT."""
        return self._built[0]

    @property
    def order(self) -> tuple[Any, ...]:
        return self._built[1]

    @property
    def count_stmt(self) -> Select[Any] | None:
        """``totalCount``'s query, for a counted connection."""
        return self._built[2]

    def cursor_of(self, row: Any) -> str:
        return encode_cursor(self.kind, getattr(row, self.key), row.id)


def named_params(*clauses: Any) -> dict[str, Any]:
    """The values of the named parameters (``bindparam("name", value)``) in ``clauses``."""
    return {name: value for clause in clauses for name, value in _named_in(clause)}


@lru_cache(maxsize=1024)
def _named_in(clause: Any) -> tuple[tuple[str, Any], ...]:
    """``named_params`` of one clause, found once per clause: the clauses read here
    are the callers' row filters, each built once per viewer (``services.access``);
    a SQL expression hashes by identity and is never changed once built."""
    return tuple((element.key, element.value) for element in visitors.iterate(clause)
                 if isinstance(element, BindParameter) and not str(element.key).startswith("%("))


class PageQuery:
    """The page query of one root field, before it is planned: its size, the
    caller's row filter and the named parameters of its filters, typed like a
    column (so that, e.g., timestamps are converted to UTC): the compiled read
    path reuses one statement per query shape and only sends their values."""

    def __init__(self, first: int | None, row_filter: Any) -> None:
        self.limit = page_size(first)
        self.row_filter = row_filter
        self.values = named_params(row_filter)

    def set(self, name: str, value: Any) -> None:
        self.values[name] = value

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def __call__(self, name: str, like: Any) -> Any:
        return bindparam(name, self.values[name], type_=like.type)

    def take(self, filter: Any, **names: str) -> None:
        """Each field of ``filter`` given a value (``field="f_name"``) as the named parameter
        (an enum by its value); nothing without a filter."""
        for field, name in names.items():
            value = getattr(filter, field, None)
            if value is not None:
                self.set(name, value.value if isinstance(value, Enum) else value)

    def wanted(self, filter: Any, field: str, **values: Callable[[], Any]) -> bool | None:
        """The yes-or-no ``field`` of ``filter`` (None when not given); when given, the
        named parameters its condition reads (each ``name=value()``)."""
        wanted = getattr(filter, field, None)
        if wanted is not None:
            for name, value in values.items():
                self.set(name, value())
        return wanted

    @staticmethod
    def either(wanted: bool | None, condition: Callable[[], Any]) -> list[Any]:
        """``condition()`` when ``wanted``, its negation when not, nothing when it is None."""
        if wanted is None:
            return []
        holds = condition()
        return [holds if wanted else ~holds]

    def equal(self, **columns: Any) -> list[Any]:
        """``column = :name`` for each named filter the query has a value for."""
        return [column == self(name, column) for name, column in columns.items() if name in self]

    def plan(self, root: str, model: Any, *, kind: str, key: str, ascending: bool, after: str | None,
             where: Callable[[], list[Any]], counted: bool, shape: tuple[Any, ...] = ()) -> PagePlan:
        """Rows of ``model`` the row filter and ``where()`` keep, ordered by (``key``, id)
        (``ascending`` or not), after the row of the cursor ``after``."""
        if after is not None:
            after_key, after_id = decode_cursor(kind, after, 2)
            self.set("after_key", after_key)
            self.set("after_id", after_id)

        def build() -> Built:
            conditions = [self.row_filter, *where()]
            key_col = getattr(model, key)
            stmt = select(model).where(*conditions)
            if after is not None:
                # A row-value comparison, so that the index on (key, id) starts at the cursor.
                row, after_row = tuple_(key_col, model.id), tuple_(self("after_key", key_col), self("after_id", model.id))
                stmt = stmt.where(row > after_row if ascending else row < after_row)
            order = (key_col.asc(), model.id.asc()) if ascending else (key_col.desc(), model.id.desc())
            count_stmt = select(func.count()).select_from(model).where(*conditions) if counted else None
            return stmt.order_by(*order), order, count_stmt

        return PagePlan(limit=self.limit, kind=kind, key=key, has_previous=after is not None, counted=counted,
                        params=self.values, shape=(root, kind, tuple(sorted(self.values)), *shape), build=build)


async def connection(info: Info, plan: PagePlan, connection_type: Any, node_type: Any) -> Any:
    """The page of ``plan``, as ``connection_type`` with edges of ``node_type``."""
    async with info.context.read() as session:
        rows = (await session.execute(plan.stmt.limit(plan.limit + 1))).scalars().all()
        extra = {"total_count": (await session.execute(plan.count_stmt)).scalar_one()} if plan.counted else {}
    edges = [Edge(cursor=plan.cursor_of(r), node=node_type.from_row(r)) for r in rows[: plan.limit]]
    page_info = PageInfo(has_next_page=len(rows) > plan.limit, has_previous_page=plan.has_previous,
                         start_cursor=edges[0].cursor if edges else None,
                         end_cursor=edges[-1].cursor if edges else None)
    result: Connection[Any] = connection_type(page_info=page_info, edges=edges, **extra)
    return result


async def page(info: Info, plan_of: Callable[..., PagePlan], connection_type: Any, node_type: Any,
               **arguments: Any) -> Any:
    """A list root's answer: the page ``plan_of`` plans for the caller with the root's
    ``arguments``, as ``connection_type`` with edges of ``node_type``."""
    return await connection(info, plan_of(info.context.viewer, **arguments), connection_type, node_type)


def list_root(plan_of: Callable[..., PagePlan], filter_type: type, connection_type: Any, node_type: Any, *,
              description: str | None = None) -> Any:
    """The root field ``(first, after, filter: filter_type) -> connection_type`` that
    answers with the page ``plan_of`` plans for the caller (``page``)."""

    async def resolve(info: Info, first: int | None = None, after: str | None = None, filter: Any = None) -> Any:
        return await page(info, plan_of, connection_type, node_type, first=first, after=after, filter=filter)

    resolve.__annotations__ = {"info": Info, "first": int | None, "after": str | None, "filter": filter_type | None,
                               "return": connection_type}
    return strawberry.field(resolver=resolve, description=description)
