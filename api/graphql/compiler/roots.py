"""The root fields the compiled read path knows. Each gives a plan: this
request's parameter values, the shape that decides the statement's text, and
how to build the statement (only on a cache miss). The page queries are the
resolvers' own (``api.graphql.queries``)."""

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
from services import access


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
        page = page_subquery(plan, m.Application.__table__)
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
    visible = row_filter(m.Application, alias, viewer)
    params = {"application_id": pk, **named_params(visible)}

    def build() -> sa.ColumnElement[str]:
        element, from_ = object_from(c, "Application", alias, details)
        value = (sa.select(element).select_from(from_)
                 .where(alias.c.id == sa.bindparam("application_id", None, type_=sa.Integer), visible)
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
        page = page_subquery(plan, m.Check.__table__)
        return connection_json(c, "CheckConnection", "Check", details, page,
                               lambda p: cursor("feed", p.c.updated_at, "datetime", p.c.id), plan.has_previous, None)

    return RootPlan(params, plan.shape, build)


ROOTS: dict[str, Callable[[Compilation, list[Any], GraphQLField], RootPlan]] = {
    "applications": applications_root,
    "application": application_root,
    "checkResults": check_results_root,
}
