"""The officers' lists of kandas statuses (SPEC §12) and reviews (SPEC §14): their
filters and keyset pages (``api.graphql.paging``), for ``Query``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry

import models as m
from api.graphql.filters import invalid_argument
from api.graphql.paging import PagePlan, PageQuery
from api.graphql.readmap import localized_name
from api.graphql.types.kandas import Holiday, KandasStatusState, ReviewStatus
from models.base import today_almaty
from models.enums import KandasStatusState as KandasStatusStateEnum
from services import access, holidays, kandas, reviews
from services.viewer import Viewer


@strawberry.input
class KandasStatusFilter:
    status: KandasStatusState | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="As read today: ACTIVE, EXPIRED (active, past validUntil) or ENDED.")
    expiring_within_days: int | None = strawberry.field(default=None, description=(
        "Only ACTIVE statuses whose last valid day is from today to today + N days (0 to 3660)."))


@strawberry.input
class DecisionReviewFilter:
    status: ReviewStatus | None = None  # type: ignore[valid-type]
    overdue: bool | None = strawberry.field(default=None, description="Only OPEN reviews past their due date (true), "
                                                                      "or all the others (false).")


def kandas_status_page(viewer: Viewer, *, first: int | None, after: str | None,
                       filter: KandasStatusFilter | None) -> PagePlan:
    """Statuses, soonest last valid day first."""
    p = PageQuery(first, access.kandas_statuses(viewer))
    state: KandasStatusStateEnum | None = None
    if filter is not None:
        if filter.status is not None:
            state = KandasStatusStateEnum(filter.status)
            p.set("f_today", today_almaty())
        if filter.expiring_within_days is not None:
            problem = kandas.expiring_days_problem(filter.expiring_within_days)
            if problem:
                raise invalid_argument(problem, "filter", "expiringWithinDays")
            today = today_almaty()
            p.set("f_today", today)
            p.set("f_until", today + dt.timedelta(days=filter.expiring_within_days))

    def where() -> list[Any]:
        s = m.KandasStatus
        conditions = []
        if state is not None:
            conditions.append(kandas.state_condition(state, p("f_today", s.valid_until)))
        if "f_until" in p:
            conditions.append(kandas.expiring_condition(p("f_today", s.valid_until), p("f_until", s.valid_until)))
        return conditions

    return p.plan("kandasStatuses", m.KandasStatus, kind="kandas", key="valid_until", ascending=True, after=after,
                  where=where, counted=True, shape=(state,))


def review_page(viewer: Viewer, *, first: int | None, after: str | None,
                filter: DecisionReviewFilter | None) -> PagePlan:
    """Reviews, the earliest due first."""
    p = PageQuery(first, access.decision_reviews(viewer))
    p.take(filter, status="f_review_status")
    overdue = p.wanted(filter, "overdue", f_today=today_almaty)

    def where() -> list[Any]:
        r = m.DecisionReview
        return [*p.equal(f_review_status=r.status),
                *p.either(overdue, lambda: reviews.overdue_condition(p("f_today", r.due_date)))]

    return p.plan("decisionReviews", m.DecisionReview, kind="review", key="due_date", ascending=True, after=after,
                  where=where, counted=True, shape=(overdue,))


async def holidays_of(session: Any, year: int) -> list[Holiday]:
    return [Holiday(date=h.on, recurring=h.recurring, name=localized_name(h.row.name_en, h.row.name_kk, h.row.name_ru),
                    name_kk=h.row.name_kk, name_ru=h.row.name_ru, name_en=h.row.name_en)
            for h in await holidays.of_year(session, year)]
