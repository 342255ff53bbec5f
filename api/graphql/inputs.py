"""Mutation inputs and payloads of the contract."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry
from strawberry.scalars import JSON

from api.graphql.types import (
    Application,
    Check,
    CheckStatus,
    EducationLevel,
    FamilyRelation,
    InterviewOutcome,
    LanguageLevel,
    Proficiency,
    Quota,
    QuotaKind,
    Route,
    ScoringModel,
    SelectionRound,
    Sex,
    SocialContract,
    TerminationReason,
    UserError,
)
from models.enums import Decision as _Decision

Decision = strawberry.enum(_Decision)  # type: ignore[misc]


@strawberry.input
class ApplicantInput:
    iin: str | None = None
    full_name: str
    birth_date: dt.date
    sex: Sex
    citizenship: str
    ethnic_kazakh: bool
    document_number: str


@strawberry.input
class SubmitApplicationInput:
    applicant: ApplicantInput
    route: Route
    target_region_code: str
    occupation_code: str | None = None
    permit_id: strawberry.ID | None = strawberry.field(default=None, description=(
        "LABOUR only: an approved work permit whose place the approval uses instead of a quota seat."))


@strawberry.type
class ApplicationPayload:
    application: Application | None
    errors: list[UserError]


@strawberry.input
class RecordLanguageTestInput:
    application_id: strawberry.ID
    level: LanguageLevel
    listening_percent: int
    reading_percent: int
    certificate_number: str
    taken_on: dt.date


@strawberry.input(description="A member of the principal applicant's family. The input rules of the applicant "
                              "apply: fullName, birthDate not in the future, documentNumber, and the IIN's check "
                              "digit and its agreement with birthDate and sex when one is given.")
class FamilyMemberInput:
    full_name: str
    birth_date: dt.date
    sex: Sex
    relation: FamilyRelation
    document_number: str
    iin: str | None = None


@strawberry.input
class SubmitQuestionnaireInput:
    application_id: strawberry.ID
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
class RequestChecksInput:
    application_id: strawberry.ID


@strawberry.input
class RecordCheckResultInput:
    check_id: strawberry.ID
    status: CheckStatus
    details: str | None = None


@strawberry.type
class CheckPayload:
    check: Check | None
    errors: list[UserError]


@strawberry.input
class ScheduleInterviewInput:
    application_id: strawberry.ID
    scheduled_at: dt.datetime


@strawberry.input
class RecordInterviewOutcomeInput:
    application_id: strawberry.ID
    outcome: InterviewOutcome
    points: int | None = None
    notes: str | None = None


@strawberry.input
class ScoreApplicationInput:
    application_id: strawberry.ID


@strawberry.input
class WithdrawApplicationInput:
    application_id: strawberry.ID
    reason: str | None = None


@strawberry.input
class DecideApplicationInput:
    application_id: strawberry.ID
    decision: Decision
    reason: str | None = None


@strawberry.input
class UpsertQuotaInput:
    kind: QuotaKind
    year: int
    region_code: str
    occupation_code: str | None = None
    capacity: int


@strawberry.type
class QuotaPayload:
    quota: Quota | None
    errors: list[UserError]


@strawberry.input
class RunSelectionRoundInput:
    quota_id: strawberry.ID
    dry_run: bool | None = None


@strawberry.type
class SelectionRoundPayload:
    round: SelectionRound | None
    errors: list[UserError]


@strawberry.input
class SignContractInput:
    application_id: strawberry.ID
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


@strawberry.type
class ContractPayload:
    contract: SocialContract | None
    errors: list[UserError]


@strawberry.input
class CreateScoringModelInput:
    version: str
    effective_from: dt.date
    definition: JSON


@strawberry.input
class PublishScoringModelInput:
    id: strawberry.ID


@strawberry.type
class ScoringModelPayload:
    scoring_model: ScoringModel | None
    errors: list[UserError]
