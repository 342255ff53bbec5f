"""Scoring models, and what a draft would change."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.scalars import JSON

import models as m
from api.graphql import ids
from api.graphql.context import Info
from api.graphql.types.applications import Application, applications_by_id
from api.graphql.types.common import Node, ScoringModelStatus, refusal
from api.graphql.types.explain import FairnessReport
from services import fairness
from services.errors import ServiceError


@strawberry.type
class ScoringModel(Node):
    version: str
    status: ScoringModelStatus
    effective_from: dt.date
    pass_mark: int
    definition: JSON = strawberry.field(description="The model's gates and criteria, in the format that SPEC.md describes.")
    pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, r: m.ScoringModel) -> "ScoringModel":
        return cls(id=strawberry.ID(ids.encode("ScoringModel", r.id)), version=r.version, status=r.status,
                   effective_from=r.effective_from, pass_mark=r.pass_mark, definition=r.definition, pk=r.id)


@strawberry.type(description="What a draft scoring model would change, before anyone publishes it.")
class ScoringSimulation:
    model_version: str
    evaluated: int = strawberry.field(description="Scored, undecided applications that were evaluated under the draft.")
    passed_now: int
    passed_under_draft: int
    newly_passing_ids: strawberry.Private[list[int]]
    newly_failing_ids: strawberry.Private[list[int]]
    model_id: strawberry.Private[int | None] = None

    @strawberry.field(description="Pass rates under the draft by sex, age band and route, with the groups below "
                                  "four fifths of the highest flagged (administrators).")
    async def fairness(self, info: Info) -> FairnessReport | None:
        if self.model_id is None:
            return None
        async with info.context.read() as session:
            try:
                found = await fairness.simulation_fairness(session, info.context.viewer, self.model_id)
            except ServiceError as exc:
                raise refusal(exc) from None
        return FairnessReport.from_report(found)

    @strawberry.field(description="Applications that fail now and would pass under the draft.")
    async def newly_passing(self, info: Info) -> list[Application]:
        return [Application.from_row(r) for r in await applications_by_id(info, self.newly_passing_ids)]

    @strawberry.field(description="Applications that pass now and would fail under the draft.")
    async def newly_failing(self, info: Info) -> list[Application]:
        return [Application.from_row(r) for r in await applications_by_id(info, self.newly_failing_ids)]
