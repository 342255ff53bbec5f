"""Mutation inputs and payloads of employers, work permits and violations (SPEC §15)."""

from __future__ import annotations

import datetime as dt

import strawberry

from api.graphql.inputs import Decision
from api.graphql.types.common import payload_type
from api.graphql.types.labour import Employer, PermitCategory, StaffCategory, Violation, ViolationKind, WorkPermit


@strawberry.input(description="Local staff in one category; a category not listed counts 0.")
class StaffCountInput:
    category: StaffCategory
    count: int


@strawberry.input
class RegisterEmployerInput:
    bin: str
    name: str
    region_code: str
    local_staff: list[StaffCountInput]


@strawberry.input(description="Replaces the employer's local headcount as a whole.")
class UpdateEmployerStaffInput:
    employer_id: strawberry.ID
    local_staff: list[StaffCountInput]


@strawberry.input
class RequestWorkPermitInput:
    employer_id: strawberry.ID
    category: PermitCategory
    occupation_code: str
    region_code: str
    workers: int
    valid_months: int


@strawberry.input
class DecideWorkPermitInput:
    permit_id: strawberry.ID
    decision: Decision
    reason: str | None = None


@strawberry.input(description="A violation of an employer (employerId) or of an applicant (applicationId); "
                              "the same externalId again records nothing new.")
class RecordViolationInput:
    kind: ViolationKind
    occurred_on: dt.date
    external_id: str
    fine_mrp: int = 0
    employer_id: strawberry.ID | None = None
    application_id: strawberry.ID | None = None


EmployerPayload = payload_type("EmployerPayload", "employer", Employer)
WorkPermitPayload = payload_type("WorkPermitPayload", "permit", WorkPermit)
ViolationPayload = payload_type("ViolationPayload", "violation", Violation)
