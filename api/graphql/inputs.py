"""Mutation inputs and payloads of the contract."""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.scalars import JSON

from api.graphql.types import (
    Application,
    Check,
    CheckStatus,
    EducationLevel,
    InterviewOutcome,
    LanguageLevel,
    Proficiency,
    Quota,
    QuotaKind,
    Route,
    ScoringModel,
    SelectionRound,
    SocialContract,
    TerminationReason,
)
from api.graphql.types.common import payload_type
from models.enums import Decision as _Decision
from services import applications

Decision = strawberry.enum(_Decision)  # type: ignore[misc]


def input_of(record: type, name: str, *, first: tuple[str, ...] = (), description: str | None = None) -> Any:
    """The GraphQL input ``name`` with the fields of the service's ``record`` (a dataclass:
    the same names, types and defaults), those named in ``first`` ahead of the others."""
    hints = typing.get_type_hints(record)
    fields = sorted(dataclasses.fields(record), key=lambda f: f.name not in first)
    namespace: dict[str, Any] = {"__annotations__": {f.name: hints[f.name] for f in fields}, "__module__": __name__}
    namespace.update({f.name: f.default for f in fields if f.default is not dataclasses.MISSING})
    return strawberry.input(type(name, (), namespace), description=description)


ApplicantInput = input_of(applications.ApplicantIn, "ApplicantInput", first=("iin",))


@strawberry.input
class SubmitApplicationInput:
    applicant: ApplicantInput
    route: Route
    target_region_code: str
    occupation_code: str | None = None
    permit_id: strawberry.ID | None = strawberry.field(default=None, description=(
        "LABOUR only: an approved work permit whose place the approval uses instead of a quota seat."))


ApplicationPayload = payload_type("ApplicationPayload", "application", Application)


@strawberry.input
class OnApplication:
    """What an input on one application starts with (a base, not a type of the schema)."""

    application_id: strawberry.ID


@strawberry.input
class RecordLanguageTestInput(OnApplication):
    level: LanguageLevel
    listening_percent: int
    reading_percent: int
    certificate_number: str
    taken_on: dt.date


FamilyMemberInput = input_of(applications.FamilyMemberIn, "FamilyMemberInput", description=(
    "A member of the principal applicant's family. The input rules of the applicant apply: fullName, birthDate not "
    "in the future, documentNumber, and the IIN's check digit and its agreement with birthDate and sex when one is "
    "given."))


@strawberry.input
class SubmitQuestionnaireInput(OnApplication):
    education_level: EducationLevel
    work_experience_years: int
    occupation_code: str | None = None
    family_size: int | None = strawberry.field(
        default=None,
        description="People in the family, the applicant included (1-20). With familyMembers (or members on "
                    "record) it must be 1 + their number, and may be left out; without them it is required.")
    russian: Proficiency
    english: Proficiency
    relatives_in_kazakhstan: bool
    prior_stay_in_kazakhstan: bool
    criminal_record: bool
    deported_before: bool
    savings: Decimal
    family_members: list[FamilyMemberInput] | None = strawberry.field(
        default=None,
        description="The applicant's family members (the applicant not included). Given, even empty, it replaces "
                    "the members on record; left out, they stay as they are.")


@strawberry.input
class RequestChecksInput(OnApplication):
    pass


@strawberry.input
class RecordCheckResultInput:
    check_id: strawberry.ID
    status: CheckStatus
    details: str | None = None


CheckPayload = payload_type("CheckPayload", "check", Check)


@strawberry.input
class ScheduleInterviewInput(OnApplication):
    scheduled_at: dt.datetime


@strawberry.input
class RecordInterviewOutcomeInput(OnApplication):
    outcome: InterviewOutcome
    points: int | None = None
    notes: str | None = None


@strawberry.input
class ScoreApplicationInput(OnApplication):
    pass


@strawberry.input
class WithdrawApplicationInput(OnApplication):
    reason: str | None = None


@strawberry.input
class DecideApplicationInput(OnApplication):
    decision: Decision
    reason: str | None = None


@strawberry.input
class UpsertQuotaInput:
    kind: QuotaKind
    year: int
    region_code: str
    occupation_code: str | None = None
    capacity: int


QuotaPayload = payload_type("QuotaPayload", "quota", Quota)


@strawberry.input
class RunSelectionRoundInput:
    quota_id: strawberry.ID
    dry_run: bool | None = None


SelectionRoundPayload = payload_type("SelectionRoundPayload", "round", SelectionRound)


@strawberry.input
class SignContractInput(OnApplication):
    start_date: dt.date
    family_size: int | None = strawberry.field(
        default=None,
        description="The family the selection round approved (the quota seats it took). Optional: when given it "
                    "must be that number (INVALID_INPUT otherwise); when left out it is taken from the approval.")


@strawberry.input
class RecordSupportPaymentInput:
    contract_id: strawberry.ID
    measure_code: str
    amount: Decimal
    paid_on: dt.date


@strawberry.input
class TerminateContractInput:
    contract_id: strawberry.ID
    reason: TerminationReason
    effective_date: dt.date


@strawberry.input
class RecordRefundPaymentInput:
    contract_id: strawberry.ID
    amount: Decimal
    paid_on: dt.date


ContractPayload = payload_type("ContractPayload", "contract", SocialContract)


@strawberry.input
class CreateScoringModelInput:
    version: str
    effective_from: dt.date
    definition: JSON


@strawberry.input
class PublishScoringModelInput:
    id: strawberry.ID


ScoringModelPayload = payload_type("ScoringModelPayload", "scoring_model", ScoringModel)
