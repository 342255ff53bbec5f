"""The root fields the compiled read path knows. Each gives a plan: this
request's parameter values, the shape that decides the statement's text, and
how to build the statement (only on a cache miss). The page queries are the
resolvers' own (``api.graphql.queries``, planned by ``api.graphql.paging``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from graphql import GraphQLField

import models as m
from api.graphql import ids
from api.graphql.compiler.planning import Compilation, connection_json, object_from, page_subquery, row_filter
from api.graphql.compiler.sqljson import CannotCompile, const, cursor
from api.graphql.pagination import KEY_TYPES
from api.graphql.paging import PagePlan, named_params
from api.graphql.queries import ApplicationFilter, ApplicationOrder, application_page, check_feed_page
from services import access


@dataclass
class RootPlan:
    """What one root field needs: the values of this request, the shape that
    decides the statement's text, and how to build it (only on a cache miss)."""

    params: dict[str, Any]
    shape: tuple[Any, ...]
    build: Callable[[], sa.ColumnElement[str]]


def page_root(c: Compilation, details: list[Any], node_type: str, model: Any,
              make_plan: Callable[[], PagePlan]) -> RootPlan:
    """A connection root: the resolver's own page plan, as one JSON expression."""
    try:
        plan = make_plan()
    except Exception as exc:  # a bad cursor, page size or filter: normal execution reports it
        raise CannotCompile(str(exc)) from None
    params = {**plan.params, "page_limit": plan.limit, "page_limit_plus": plan.limit + 1}

    def build() -> sa.ColumnElement[str]:
        page = page_subquery(plan, model.__table__)
        total = plan.count_stmt.scalar_subquery() if plan.count_stmt is not None else None
        return connection_json(c, f"{node_type}Connection", node_type, details, page, plan.key,
                               lambda key, pk: cursor(plan.kind, key, KEY_TYPES[plan.kind], pk),
                               plan.has_previous, total)

    return RootPlan(params, plan.shape, build)


def applications_root(c: Compilation, details: list[Any], field_def: GraphQLField) -> RootPlan:
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
    return page_root(c, details, "Application", m.Application, lambda: application_page(
        viewer, first=args.get("first"), after=args.get("after"), filter=filter_,
        order_by=ApplicationOrder(args.get("orderBy") or "NEWEST_FIRST")))


def application_root(c: Compilation, details: list[Any], field_def: GraphQLField) -> RootPlan:
    viewer = c.viewer
    if not access.may_ask(viewer, "application"):
        raise CannotCompile("viewer")
    args = c.args(field_def, details[0].node)
    pk = ids.decode_as(str(args["id"]), "Application")
    if pk is None:
        raise CannotCompile("id")
    # the row filter's values now; the filter itself, on the alias, only for a new statement
    params = {"application_id": pk, **named_params(access.row_filter(m.Application, viewer))}

    def build() -> sa.ColumnElement[str]:
        alias = m.Application.__table__.alias("a")
        visible = row_filter(m.Application, alias, viewer)
        element, from_ = object_from(c, "Application", alias, details)
        value = (sa.select(element).select_from(from_)
                 .where(alias.c.id == sa.bindparam("application_id", None, type_=sa.Integer), visible)
                 .scalar_subquery())
        return sa.func.coalesce(value, const("null"))

    return RootPlan(params, ("application", tuple(sorted(params))), build)


def check_results_root(c: Compilation, details: list[Any], field_def: GraphQLField) -> RootPlan:
    viewer = c.viewer
    if not access.may_ask(viewer, "checkResults"):
        raise CannotCompile("viewer")
    args = c.args(field_def, details[0].node)
    return page_root(c, details, "Check", m.Check, lambda: check_feed_page(
        viewer, first=args.get("first"), after=args.get("after"), updated_since=args.get("updatedSince"),
        status=args.get("status")))


ROOTS: dict[str, Callable[[Compilation, list[Any], GraphQLField], RootPlan]] = {
    "applications": applications_root,
    "application": application_root,
    "checkResults": check_results_root,
}
