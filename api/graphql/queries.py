"""The Query type."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from sqlalchemy import select

from core.text import t
import models as m
from api.graphql import ids, paging
from api.graphql.context import Info
from api.graphql.filters import invalid_argument, region_code_argument, region_condition, take_region
from api.graphql.paging import PagePlan, PageQuery
from api.graphql.queries_kandas import (
    DecisionReviewFilter, KandasStatusFilter, holidays_of, kandas_status_page, review_page,
)
from api.graphql.types.common import refusal
from api.graphql.types.kandas import Holiday
from api.graphql.types import (
    NODE_TYPES,
    SupportMeasure,
    TerminationReasonRule,
    Application,
    ApplicationConnection,
    ApplicationStatus,
    Check,
    CheckConnection,
    CheckStatus,
    ContractStatus,
    DecisionReview,
    DecisionReviewConnection,
    DeficitList,
    KandasStatus,
    KandasStatusConnection,
    Node,
    Occupation,
    Quota,
    QuotaKind,
    Region,
    Route,
    ScoringModel,
    ScoringSimulation,
    SelectionRound,
    SelectionRoundStatistics,
    SocialContract,
    SocialContractConnection,
)
from api.graphql.types.webhooks import WebhookEndpoint, webhook_endpoints
from models.base import today_almaty
from models.enums import CheckStatus as CheckStatusEnum
from services import access, residence, round_statistics, search
from services import scoring_models as scoring_models_service
from services.applications import overdue_condition
from services.errors import ServiceError
from services.reference import year_problem
from services.viewer import Viewer


@strawberry.enum
class ApplicationOrder(Enum):
    NEWEST_FIRST = "NEWEST_FIRST"
    DUE_DATE = "DUE_DATE"


@strawberry.input
class ApplicationFilter:
    status: ApplicationStatus | None = None
    route: Route | None = None
    region_code: str | None = None
    overdue: bool | None = strawberry.field(default=None, description="Only undecided applications past their due date.")
    search: str | None = strawberry.field(default=None, description=(
        "Application number, applicant's name, IIN or document number, or a part of one: every word must match. "
        "Case-insensitive, and Cyrillic and Latin spellings of a name find each other (Бекова, Bekova)."))


@strawberry.input
class ContractFilter:
    status: ContractStatus | None = None
    region_code: str | None = None
    residence_unconfirmed: bool | None = strawberry.field(default=None, description=(
        "true: ACTIVE contracts without a REGISTERED residence event in their region for 365 days (counting from "
        "the start date for a new contract; SPEC §13); false: every other contract."))


async def _by_code(info: Info, model: Any, read_type: Any) -> list[Any]:
    """Every row of a reference table, by code, as ``read_type``."""
    async with info.context.read() as session:
        rows = (await session.execute(select(model).order_by(model.code))).scalars().all()
    return [read_type.from_row(r) for r in rows]


async def _load_node(info: Info, type_name: str, pk: int) -> Node | None:
    entry = NODE_TYPES.get(type_name)
    if entry is None:
        return None
    model, gql_type = entry
    viewer = info.context.viewer
    if not access.may_fetch_node(viewer, type_name):
        return None
    row = await info.context.loaders.get(model, pk)
    if row is None:
        return None
    if type_name == "Applicant" and not access.sees_applicant(viewer, row.owner_subject):
        return None
    if type_name == "SelectionRound":
        async with info.context.read() as session:
            return (await _selection_rounds(session, [row]))[0]
    return gql_type.from_row(row)


async def _selection_rounds(session: Any, rows: list[m.SelectionRound]) -> list[SelectionRound]:
    """Rounds as read types, with their approved and passed-over applications in ranking order."""
    round_ids = [r.id for r in rows]
    approved: dict[int, list[int]] = {i: [] for i in round_ids}
    passed_over: dict[int, list[int]] = {i: [] for i in round_ids}
    if round_ids:
        a, po = m.SelectionRoundApproval, m.SelectionRoundPassedOver
        for round_id, app_id in (await session.execute(
                select(a.round_id, a.application_id).where(a.round_id.in_(round_ids)).order_by(a.rank))).all():
            approved[round_id].append(app_id)
        for round_id, app_id in (await session.execute(
                select(po.round_id, po.application_id).where(po.round_id.in_(round_ids)).order_by(po.position))).all():
            passed_over[round_id].append(app_id)
    return [SelectionRound.from_row(r, approved_ids=approved[r.id], passed_over_ids=passed_over[r.id]) for r in rows]


def application_page(viewer: Viewer, *, first: int | None, after: str | None,
                     filter: ApplicationFilter | None, order_by: ApplicationOrder) -> PagePlan:
    p = PageQuery(first, access.applications(viewer))
    p.take(filter, status="f_status", route="f_route")
    take_region(p, filter)
    overdue_wanted = p.wanted(filter, "overdue", f_today=today_almaty)
    if filter is not None and filter.search is not None and filter.search.strip():
        problem = search.search_problem(filter.search)
        if problem:
            raise invalid_argument(problem, "filter", "search")
        for i, pattern in enumerate(search.like_patterns(search.search_words(filter.search))):
            p.set(f"f_search_{i}", pattern)

    def where() -> list[Any]:
        a = m.Application
        # Every word of the search, as LIKE '%word%' on the stored key (a trigram index on PostgreSQL).
        return [*p.equal(f_status=a.status, f_route=a.route), *region_condition(p, a.target_region_id),
                *p.either(overdue_wanted, lambda: overdue_condition(p("f_today", a.due_date))),
                *(a.search_key.like(p(name, a.search_key))
                  for name in sorted(p.values, key=lambda k: (len(k), k)) if name.startswith("f_search_"))]

    ascending = order_by == ApplicationOrder.DUE_DATE
    kind, key = ("due", "due_date") if ascending else ("new", "submitted_at")
    return p.plan("applications", m.Application, kind=kind, key=key, ascending=ascending, after=after,
                  where=where, counted=True, shape=(overdue_wanted,))


def check_feed_page(viewer: Viewer, *, first: int | None, after: str | None,
                    updated_since: dt.datetime | None, status: Any = None) -> PagePlan:
    p = PageQuery(first, access.checks(viewer))
    if updated_since is not None:
        p.set("updated_since", updated_since)
    if status is not None:
        p.set("f_check_status", CheckStatusEnum(status).value)

    def where() -> list[Any]:
        c = m.Check
        conditions = p.equal(f_check_status=c.status)
        if "updated_since" in p:
            conditions.append(c.updated_at >= p("updated_since", c.updated_at))
        return conditions

    return p.plan("checkResults", m.Check, kind="feed", key="updated_at", ascending=True, after=after,
                  where=where, counted=False)


def contract_page(viewer: Viewer, *, first: int | None, after: str | None, filter: ContractFilter | None) -> PagePlan:
    p = PageQuery(first, access.contracts(viewer))
    p.take(filter, status="f_contract_status")
    take_region(p, filter)
    unconfirmed_wanted = p.wanted(filter, "residence_unconfirmed",
                                  f_residence_cutoff=lambda: residence.confirmation_cutoff(today_almaty()))

    def where() -> list[Any]:
        c = m.SocialContract
        return [*p.equal(f_contract_status=c.status), *region_condition(p, c.region_id),
                *p.either(unconfirmed_wanted,
                          lambda: residence.unconfirmed_condition(p("f_residence_cutoff", c.start_date)))]

    return p.plan("contracts", m.SocialContract, kind="contract", key="created_at", ascending=False, after=after,
                  where=where, counted=True, shape=(unconfirmed_wanted,))


@strawberry.type
class Query:
    @strawberry.field
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        decoded = ids.decode(str(id))
        if decoded is None:
            raise ids.BadGlobalId(str(id))
        return await _load_node(info, *decoded)

    @strawberry.field
    async def regions(self, info: Info) -> list[Region]:
        return await _by_code(info, m.Region, Region)

    @strawberry.field
    async def scoring_models(self, info: Info) -> list[ScoringModel]:
        async with info.context.read() as session:
            rows = (await session.execute(
                select(m.ScoringModel).order_by(m.ScoringModel.effective_from.desc(), m.ScoringModel.id.desc())
            )).scalars().all()
        return [ScoringModel.from_row(r) for r in rows]

    @strawberry.field
    async def quotas(self, info: Info, year: int, kind: QuotaKind | None = None) -> list[Quota]:
        stmt = (
            select(m.Quota).join(m.Region, m.Region.id == m.Quota.region_id)
            .outerjoin(m.Occupation, m.Occupation.id == m.Quota.occupation_id)
            .where(m.Quota.year == year).order_by(m.Quota.kind, m.Region.code, m.Occupation.code)
        )
        if kind is not None:
            stmt = stmt.where(m.Quota.kind == kind)
        async with info.context.read() as session:
            rows = (await session.execute(stmt)).scalars().all()
        return [Quota.from_row(r) for r in rows]

    @strawberry.field(description="The measures of state support, by code (reference data; SPEC §6).")
    async def support_measures(self, info: Info) -> list[SupportMeasure]:
        return await _by_code(info, m.SupportMeasure, SupportMeasure)

    @strawberry.field(description="The reasons a social contract ends, by code, and whether each refunds the support "
                                  "(reference data; SPEC §6).")
    async def termination_reasons(self, info: Info) -> list[TerminationReasonRule]:
        return await _by_code(info, m.TerminationReasonRule, TerminationReasonRule)

    @strawberry.field(description="The ISCO-08 occupations of the reference list, by code.")
    async def occupations(self, info: Info) -> list[Occupation]:
        return await _by_code(info, m.Occupation, Occupation)

    @strawberry.field(description="Each region's list of occupations in deficit for the year (one region with "
                                  "regionCode), regions by code; a region without a list has no occupations.")
    async def deficit_lists(self, info: Info, year: int, region_code: str | None = None) -> list[DeficitList]:
        regions = select(m.Region).order_by(m.Region.code)
        if region_code is not None:
            regions = regions.where(m.Region.code == region_code_argument(region_code, "regionCode"))
        async with info.context.read() as session:
            region_rows = (await session.execute(regions)).scalars().all()
            listed = (await session.execute(
                select(m.DeficitOccupation.region_id, m.Occupation)
                .join(m.Occupation, m.Occupation.id == m.DeficitOccupation.occupation_id)
                .where(m.DeficitOccupation.year == year,
                       m.DeficitOccupation.region_id.in_([r.id for r in region_rows]))
                .order_by(m.Occupation.code)
            )).all()
        by_region: dict[int, list[Occupation]] = {r.id: [] for r in region_rows}
        for region_id, occupation in listed:
            by_region[region_id].append(Occupation.from_row(occupation))
        return [DeficitList(year=year, region=Region.from_row(r), occupations=by_region[r.id]) for r in region_rows]

    @strawberry.field(description="The selection rounds run on a quota, newest first (staff only).")
    async def selection_rounds(self, info: Info, quota_id: strawberry.ID) -> list[SelectionRound]:
        pk = ids.decode_as(str(quota_id), "Quota")
        if pk is None:
            if ids.decode(str(quota_id)) is None:
                raise ids.BadGlobalId(str(quota_id))
            raise GraphQLError(t("{what} not found", what=t("quota")), extensions={"code": "NOT_FOUND"})
        async with info.context.read() as session:
            if await session.get(m.Quota, pk) is None:
                raise GraphQLError(t("{what} not found", what=t("quota")), extensions={"code": "NOT_FOUND"})
            rows = (await session.execute(
                select(m.SelectionRound).where(m.SelectionRound.quota_id == pk)
                .order_by(m.SelectionRound.ran_at.desc(), m.SelectionRound.id.desc())
            )).scalars().all()
            return await _selection_rounds(session, list(rows))

    @strawberry.field
    async def application(self, info: Info, id: strawberry.ID) -> Application | None:
        pk = ids.decode_as(str(id), "Application")
        if pk is None:
            if ids.decode(str(id)) is None:
                raise ids.BadGlobalId(str(id))
            return None
        row = await info.context.loaders.get(m.Application, pk)
        return Application.from_row(row) if row else None

    @strawberry.field
    async def applications(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: ApplicationFilter | None = None,
        order_by: ApplicationOrder = ApplicationOrder.NEWEST_FIRST,
    ) -> ApplicationConnection:
        return await paging.page(info, application_page, ApplicationConnection, Application,
                                 first=first, after=after, filter=filter, order_by=order_by)

    contracts = paging.list_root(contract_page, ContractFilter, SocialContractConnection, SocialContract)

    @strawberry.field(description="Re-scores every scored, undecided application under a draft model, writing nothing.")
    async def scoring_simulation(self, info: Info, model_id: strawberry.ID) -> ScoringSimulation:
        pk = ids.decode_as(str(model_id), "ScoringModel")
        if pk is None:
            raise GraphQLError(t("{what} not found", what=t("scoring model")), extensions={"code": "NOT_FOUND"})
        async with info.context.read() as session:
            try:
                sim = await scoring_models_service.simulate(session, info.context.viewer, pk)
            except ServiceError as exc:
                raise refusal(exc) from None
        return ScoringSimulation(model_version=sim.model_version, evaluated=sim.evaluated, passed_now=sim.passed_now,
                                 passed_under_draft=sim.passed_under_draft, newly_passing_ids=sim.newly_passing_ids,
                                 newly_failing_ids=sim.newly_failing_ids, model_id=pk)

    @strawberry.field(description=(
        "Public statistics of the selection rounds on the year's KANDAS quotas (one region with regionCode), oldest "
        "first: no token needed, nothing that identifies a person (SPEC §17)."))
    async def selection_round_statistics(self, info: Info, year: int,
                                         region_code: str | None = None) -> list[SelectionRoundStatistics]:
        async with info.context.read() as session:
            try:
                found = await round_statistics.selection_round_statistics(session, year=year, region_code=region_code)
            except ServiceError as exc:  # the year's range, the region's code
                raise invalid_argument(exc.errors[0].message, *(exc.errors[0].field or ())) from None
        return [SelectionRoundStatistics.from_statistics(s) for s in found]

    @strawberry.field(description="Checks the caller may read, oldest change first: the feed partner agencies sync from.")
    async def check_results(
        self, info: Info, first: int | None = None, after: str | None = None, updated_since: dt.datetime | None = None,
        status: Annotated[CheckStatus | None, strawberry.argument(  # type: ignore[valid-type]
            description="Only checks in this status (REQUESTED: what still waits for a result).")] = None,
    ) -> CheckConnection:
        return await paging.page(info, check_feed_page, CheckConnection, Check,
                                 first=first, after=after, updated_since=updated_since, status=status)

    @strawberry.field(description="Webhook endpoints: an agency's own; every agency's (or agencyCode's) for "
                                  "administrators.")
    async def webhooks(self, info: Info, agency_code: str | None = None) -> list[WebhookEndpoint]:
        return await webhook_endpoints(info, agency_code)

    kandas_statuses = paging.list_root(
        kandas_status_page, KandasStatusFilter, KandasStatusConnection, KandasStatus,
        description="Kandas statuses, the soonest last valid day first (staff only; SPEC §12).")
    decision_reviews = paging.list_root(
        review_page, DecisionReviewFilter, DecisionReviewConnection, DecisionReview,
        description="Reviews of decisions, the earliest due first (staff only; SPEC §14).")

    @strawberry.field(description="The public holidays of a year, by date (public reference data; SPEC §14).")
    async def holidays(self, info: Info, year: int) -> list[Holiday]:
        problem = year_problem(year)
        if problem:
            raise invalid_argument(problem, "year")
        async with info.context.read() as session:
            return await holidays_of(session, year)
