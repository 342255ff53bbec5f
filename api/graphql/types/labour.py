"""Employers, work permits and violations (SPEC §15)."""

from __future__ import annotations

import datetime as dt

import strawberry

import models as m
from api.graphql import ids
from api.graphql.context import Info
from api.graphql.types.applications import Application
from api.graphql.types.common import Node, linked_field
from api.graphql.types.connections import Connection
from api.graphql.types.reference import Region, occupation_code_of
from models import enums
from models.base import today_almaty
from services.labour import rules as labour
from services.labour.permits import places_left

PermitCategory = strawberry.enum(  # type: ignore[misc]
    enums.PermitCategory, description="CAT1 heads and deputies, CAT2 heads of units, CAT3 specialists, CAT4 skilled "
                                      "workers, SEASONAL (at most 6 months), ICT intra-corporate transfer.")
StaffCategory = strawberry.enum(  # type: ignore[misc]
    enums.StaffCategory, description="The categories local staff are counted in.")
PermitStatus = strawberry.enum(enums.PermitStatus)  # type: ignore[misc]
ViolationKind = strawberry.enum(enums.ViolationKind)  # type: ignore[misc]


@strawberry.type(description="Local (Kazakhstani) staff of an employer in one category.")
class StaffCount:
    category: StaffCategory
    count: int


@strawberry.type(description="An employer of foreign workers (staff only).")
class Employer(Node):
    bin: str = strawberry.field(description="Business identification number (12 digits, the IIN's check digit).")
    name: str
    local_staff: list[StaffCount]
    suspended_until: dt.date | None = strawberry.field(
        description="The day the employer's suspension for repeated violations ends (null when never suspended).")
    suspended: bool = strawberry.field(description="A suspension is in force today: no new permit requests.")
    created_at: dt.datetime
    pk: strawberry.Private[int]
    region_id: strawberry.Private[int]

    region = linked_field(Region, m.Region, "region_id")

    @strawberry.field(description="The employer's permits, newest request first.")
    async def permits(self, info: Info) -> list["WorkPermit"]:
        rows = await info.context.loaders.many_by(m.WorkPermit, "employer_id", "requested_at").load(self.pk)
        return [WorkPermit.from_row(r) for r in reversed(rows)]

    @strawberry.field(description="The employer's violations, latest first.")
    async def violations(self, info: Info) -> list["Violation"]:
        rows = await info.context.loaders.many_by(m.Violation, "employer_id", "occurred_on").load(self.pk)
        return [Violation.from_row(r) for r in reversed(rows)]

    @classmethod
    def from_row(cls, r: m.Employer) -> "Employer":
        staff = labour.staff_of(r)
        return cls(id=strawberry.ID(ids.encode("Employer", r.id)), bin=r.bin, name=r.name,
                   local_staff=[StaffCount(category=c, count=n) for c, n in staff.items()],
                   suspended_until=r.suspended_until, suspended=labour.suspended_on(r.suspended_until, today_almaty()),
                   created_at=r.created_at, pk=r.id, region_id=r.region_id)


@strawberry.type(description="A work permit: foreign workers of one category and occupation for an employer.")
class WorkPermit(Node):
    number: str = strawberry.field(description="Human-readable number, unique, e.g. WP-2026-000012.")
    category: PermitCategory
    workers: int
    valid_months: int
    status: PermitStatus
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    decision_reason: str | None
    valid_from: dt.date | None
    valid_until: dt.date | None
    places_used: int = strawberry.field(description="Places used by approved LABOUR applications naming the permit.")
    places_left: int
    employer_id: strawberry.Private[int]
    occupation_id: strawberry.Private[int]
    region_id: strawberry.Private[int]
    quota_id: strawberry.Private[int | None]

    employer = linked_field(Employer, m.Employer, "employer_id", optional=True)

    @strawberry.field
    async def occupation_code(self, info: Info) -> str | None:
        return await occupation_code_of(info, self.occupation_id)

    region = linked_field(Region, m.Region, "region_id")

    @strawberry.field(description="Whether the approval took seats of a LABOUR quota (every category but ICT).")
    def takes_quota_seats(self) -> bool:
        return self.quota_id is not None

    @classmethod
    def from_row(cls, r: m.WorkPermit) -> "WorkPermit":
        return cls(id=strawberry.ID(ids.encode("WorkPermit", r.id)), number=r.number, category=r.category,
                   workers=r.workers, valid_months=r.valid_months, status=r.status, requested_at=r.requested_at,
                   decided_at=r.decided_at, decision_reason=r.decision_reason, valid_from=r.valid_from,
                   valid_until=r.valid_until, places_used=r.places_used,
                   places_left=places_left(r.workers, r.places_used) if r.status == enums.PermitStatus.APPROVED else 0,
                   employer_id=r.employer_id, occupation_id=r.occupation_id, region_id=r.region_id,
                   quota_id=r.quota_id)


@strawberry.type(description="A breach of migration law by an employer or an applicant.")
class Violation(Node):
    kind: ViolationKind
    occurred_on: dt.date
    fine_mrp: int
    external_id: str = strawberry.field(description="The recording system's id: recording it again changes nothing.")
    recorded_at: dt.datetime
    employer_id: strawberry.Private[int | None]
    application_id: strawberry.Private[int | None]

    employer = linked_field(Employer, m.Employer, "employer_id", optional=True)

    application = linked_field(Application, m.Application, "application_id", optional=True)

    @classmethod
    def from_row(cls, r: m.Violation) -> "Violation":
        return cls(id=strawberry.ID(ids.encode("Violation", r.id)), kind=r.kind, occurred_on=r.occurred_on,
                   fine_mrp=r.fine_mrp, external_id=r.external_id, recorded_at=r.recorded_at,
                   employer_id=r.employer_id, application_id=r.application_id)


@strawberry.type
class EmployerConnection(Connection[Employer]):
    total_count: int


@strawberry.type
class WorkPermitConnection(Connection[WorkPermit]):
    total_count: int


@strawberry.type
class ViolationConnection(Connection[Violation]):
    total_count: int
