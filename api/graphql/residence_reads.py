"""Read roots of SPEC §13: residence events (each caller those its row filter
gives: staff all, an agency the ones it reported, an applicant their own) and
breach cases (staff), as connections with filters. The ``contracts`` root's
``residenceUnconfirmed`` filter is in ``api.graphql.queries``."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy import select

import models as m
from api.graphql import paging
from api.graphql.paging import PagePlan, PageQuery
from api.graphql.filters import id_argument, in_region, region_condition, take_region
from core.text import t
from api.graphql.types import (
    BreachStatus,
    ContractBreach,
    ContractBreachConnection,
    ResidenceEvent,
    ResidenceEventConnection,
    ResidenceEventKind,
)
from models.enums import BreachStatus as BreachStatusEnum
from services import access
from services.viewer import Viewer


@strawberry.input
class ResidenceEventFilter:
    kind: ResidenceEventKind | None = None
    region_code: str | None = strawberry.field(default=None, description="The region the event names.")
    contract_id: strawberry.ID | None = strawberry.field(default=None, description="Only the events of this contract.")
    open_breach: bool | None = strawberry.field(
        default=None, description="true: only events attached to an OPEN breach case; false: the others.")


@strawberry.input
class ContractBreachFilter:
    status: BreachStatus | None = None
    region_code: str | None = strawberry.field(default=None, description="The region of the breached contract.")


def residence_event_page(viewer: Viewer, *, first: int | None, after: str | None,
                         filter: ResidenceEventFilter | None) -> PagePlan:
    p = PageQuery(first, access.residence_events(viewer))
    p.take(filter, kind="f_event_kind")
    take_region(p, filter)
    if filter is not None and filter.contract_id is not None:
        problem = t("{value} is not the ID of a social contract", value=str(filter.contract_id)[:40])
        p.set("f_contract", id_argument(filter.contract_id, "SocialContract", "filter", "contractId", problem=problem))
    open_wanted = p.wanted(filter, "open_breach", f_open=lambda: BreachStatusEnum.OPEN.value)

    def where() -> list[Any]:
        e = m.ResidenceEvent
        conditions = [*p.equal(f_event_kind=e.kind, f_contract=e.contract_id), *region_condition(p, e.region_id)]
        if open_wanted is not None:
            b = m.ContractBreach
            in_open = e.breach_id.in_(select(b.id).where(b.status == p("f_open", b.status)))
            conditions.append(in_open if open_wanted else (e.breach_id.is_(None) | ~in_open))
        return conditions

    return p.plan("residenceEvents", m.ResidenceEvent, kind="residence", key="recorded_at", ascending=False,
                  after=after, where=where, counted=True, shape=(open_wanted,))


def breach_page(viewer: Viewer, *, first: int | None, after: str | None,
                filter: ContractBreachFilter | None) -> PagePlan:
    p = PageQuery(first, access.contract_breaches(viewer))
    p.take(filter, status="f_breach_status")
    take_region(p, filter)

    def where() -> list[Any]:
        b, c = m.ContractBreach, m.SocialContract
        conditions = p.equal(f_breach_status=b.status)
        if "f_region" in p:
            conditions.append(b.contract_id.in_(select(c.id).where(in_region(p, c.region_id))))
        return conditions

    return p.plan("contractBreaches", m.ContractBreach, kind="breach", key="opened_at", ascending=False,
                  after=after, where=where, counted=True)


@strawberry.type
class ResidenceQuery:
    residence_events = paging.list_root(
        residence_event_page, ResidenceEventFilter, ResidenceEventConnection, ResidenceEvent, description=(
            "Residence events, newest report first: staff read all, an agency the events it reported, an applicant "
            "those of their own contract (SPEC §13)."))
    contract_breaches = paging.list_root(breach_page, ContractBreachFilter, ContractBreachConnection, ContractBreach,
                                         description="Breach cases, newest first (staff only; SPEC §13).")
