"""Quotas and the selection rounds run on them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry

import models as m
from api.graphql import ids
from api.graphql.context import Info
from api.graphql.types.applications import Application, applications_by_id
from api.graphql.types.common import Node, QuotaKind, linked_field, service_call
from api.graphql.types.explain import FairnessReport
from api.graphql.types.reference import Region, occupation_code_of
from services import fairness
from services.quotas import seats_remaining


@strawberry.type
class Quota(Node):
    kind: QuotaKind
    year: int
    capacity: int
    used: int
    remaining: int
    region_id: strawberry.Private[int]
    occupation_id: strawberry.Private[int | None]

    region = linked_field(Region, m.Region, "region_id")

    @strawberry.field(description="Occupation code; set on LABOUR quotas only.")
    async def occupation_code(self, info: Info) -> str | None:
        return await occupation_code_of(info, self.occupation_id)

    @classmethod
    def from_row(cls, r: m.Quota) -> "Quota":
        return cls(id=strawberry.ID(ids.encode("Quota", r.id)), kind=r.kind, year=r.year, capacity=r.capacity,
                   used=r.used, remaining=seats_remaining(r.capacity, r.used), region_id=r.region_id,
                   occupation_id=r.occupation_id)


@strawberry.type
class SelectionRound(Node):
    dry_run: bool
    ran_at: dt.datetime
    cutoff_score: int | None = strawberry.field(description="Lowest score among the approved; null when nobody was approved.")
    ran_by: str | None = strawberry.field(default=None, description="Who ran the round.")
    seats_taken: int | None = strawberry.field(default=None, description="Seats the approved families took.")
    quota_id: strawberry.Private[int]
    approved_ids: strawberry.Private[list[int]]
    passed_over_ids: strawberry.Private[list[int]] = strawberry.field(default_factory=list)
    group_counts: strawberry.Private[dict[str, Any] | None] = None

    @strawberry.field(description="Approval rates of the round's candidates by sex, age band and route, with the "
                                  "groups below four fifths of the highest flagged (administrators); null for a round "
                                  "run before they were counted.")
    async def fairness(self, info: Info) -> FairnessReport | None:
        found = service_call(lambda: fairness.approval_report(info.context.viewer, self.group_counts))
        return FairnessReport.from_report(found) if found is not None else None

    @strawberry.field(description="Numbers of the applications the round approved, in ranking order.")
    async def approved_numbers(self, info: Info) -> list[str]:
        return [r.number for r in await applications_by_id(info, self.approved_ids)]

    @strawberry.field(description="Numbers of the applications ranked above the last approved one whose family "
                                  "did not fit in the seats left (they stay PASSED), in ranking order.")
    async def passed_over_numbers(self, info: Info) -> list[str]:
        return [r.number for r in await applications_by_id(info, self.passed_over_ids)]

    @classmethod
    def from_row(cls, r: m.SelectionRound, *, approved_ids: list[int], passed_over_ids: list[int]) -> "SelectionRound":
        return cls(id=strawberry.ID(ids.encode("SelectionRound", r.id)), dry_run=False, ran_at=r.ran_at,
                   cutoff_score=r.cutoff_score, ran_by=r.ran_by, seats_taken=r.seats_taken, quota_id=r.quota_id,
                   approved_ids=approved_ids, passed_over_ids=passed_over_ids, group_counts=r.group_counts)

    quota = linked_field(Quota, m.Quota, "quota_id")

    @strawberry.field
    async def approved(self, info: Info) -> list[Application]:
        return [Application.from_row(r) for r in await applications_by_id(info, self.approved_ids)]
