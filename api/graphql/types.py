"""The read types of the contract, built from table rows.

Scalars are copied from the row when the object is built; related objects are
resolved through the request's loaders, which apply the viewer's row filters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.scalars import JSON

import models as m
from api.graphql import ids
from api.graphql.context import Info
from api.graphql.readmap import scalars_of
from models.enums import (
    ApplicationStatus,
    CheckStatus,
    ContractStatus,
    DecisionOutcome,
    EducationLevel,
    FamilyRelation,
    InterviewOutcome,
    LanguageLevel,
    Proficiency,
    QuotaKind,
    Route,
    ScoringModelStatus,
    Sex,
    TerminationReason,
)
from services.errors import ErrorCode as _ErrorCode
from services.quotas import seats_remaining

Route = strawberry.enum(Route)  # type: ignore[misc]
ApplicationStatus = strawberry.enum(ApplicationStatus)  # type: ignore[misc]
LanguageLevel = strawberry.enum(LanguageLevel, description="KAZTEST levels.")  # type: ignore[misc]
Proficiency = strawberry.enum(Proficiency, description="Self-declared command of a language other than Kazakh.")  # type: ignore[misc]
Sex = strawberry.enum(Sex)  # type: ignore[misc]
EducationLevel = strawberry.enum(EducationLevel)  # type: ignore[misc]
FamilyRelation = strawberry.enum(FamilyRelation, description="How a family member is related to the principal applicant.")  # type: ignore[misc]
CheckStatus = strawberry.enum(CheckStatus)  # type: ignore[misc]
InterviewOutcome = strawberry.enum(InterviewOutcome)  # type: ignore[misc]
QuotaKind = strawberry.enum(QuotaKind)  # type: ignore[misc]
ContractStatus = strawberry.enum(ContractStatus)  # type: ignore[misc]
TerminationReason = strawberry.enum(TerminationReason)  # type: ignore[misc]
ScoringModelStatus = strawberry.enum(ScoringModelStatus)  # type: ignore[misc]
DecisionOutcome = strawberry.enum(  # type: ignore[misc]
    DecisionOutcome, description="How an application left the undecided states: decided, or withdrawn.")
ErrorCode = strawberry.enum(_ErrorCode)  # type: ignore[misc]


@strawberry.interface
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="A problem with the caller's request. Nothing was written when a payload carries one.")
class UserError:
    field: list[str] | None = strawberry.field(
        description='Path to the offending input field, e.g. ["input", "applicant", "iin"].'
    )
    code: ErrorCode
    message: str


# ---------------------------------------------------------------- reference data


@strawberry.type
class Region(Node):
    code: str = strawberry.field(description="ISO 3166-2 code of the oblast or city of republican significance, e.g. KZ-55.")
    name_kk: str
    name_ru: str
    name_en: str
    labour_deficit: bool

    @classmethod
    def from_row(cls, r: m.Region) -> "Region":
        return cls(id=strawberry.ID(ids.encode("Region", r.id)), **scalars_of("Region", r))


@strawberry.type
class Agency(Node):
    code: str
    name: str

    @classmethod
    def from_row(cls, r: m.Agency) -> "Agency":
        return cls(id=strawberry.ID(ids.encode("Agency", r.id)), **scalars_of("Agency", r))


@strawberry.type
class CheckType(Node):
    code: str
    name: str
    mandatory: bool
    agency_id: strawberry.Private[int]

    @strawberry.field
    async def agency(self, info: Info) -> Agency:
        return Agency.from_row(await info.context.loaders.get(m.Agency, self.agency_id))

    @classmethod
    def from_row(cls, r: m.CheckType) -> "CheckType":
        return cls(id=strawberry.ID(ids.encode("CheckType", r.id)), **scalars_of("CheckType", r),
                   agency_id=r.agency_id)


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


@strawberry.type
class Quota(Node):
    kind: QuotaKind
    year: int
    capacity: int
    used: int
    remaining: int
    region_id: strawberry.Private[int]
    occupation_id: strawberry.Private[int | None]

    @strawberry.field
    async def region(self, info: Info) -> Region:
        return Region.from_row(await info.context.loaders.get(m.Region, self.region_id))

    @strawberry.field(description="Occupation code; set on LABOUR quotas only.")
    async def occupation_code(self, info: Info) -> str | None:
        occupation = await info.context.loaders.get(m.Occupation, self.occupation_id)
        return occupation.code if occupation else None

    @classmethod
    def from_row(cls, r: m.Quota) -> "Quota":
        return cls(id=strawberry.ID(ids.encode("Quota", r.id)), kind=r.kind, year=r.year, capacity=r.capacity,
                   used=r.used, remaining=seats_remaining(r.capacity, r.used), region_id=r.region_id,
                   occupation_id=r.occupation_id)


@strawberry.type(description="An ISCO-08 unit group (reference data).")
class Occupation:
    code: str = strawberry.field(description="ISCO-08 unit group code, 4 digits.")
    name: str = strawberry.field(description="The occupation's name (in English until names follow the request's language).")
    name_en: str
    name_ru: str

    @classmethod
    def from_row(cls, r: m.Occupation) -> "Occupation":
        return cls(code=r.code, name=r.name_en, name_en=r.name_en, name_ru=r.name_ru)


@strawberry.type(description="The occupations a region lists as in deficit for a year (LABOUR route).")
class DeficitList:
    year: int
    region: Region
    occupations: list[Occupation]


# ---------------------------------------------------------------- applicants and applications


@strawberry.type
class Applicant(Node):
    iin: str | None
    full_name: str
    birth_date: dt.date
    sex: Sex
    citizenship: str = strawberry.field(description="ISO 3166-1 alpha-3 code of the applicant's citizenship.")
    ethnic_kazakh: bool
    document_number: str
    pk: strawberry.Private[int]

    @strawberry.field
    async def applications(self, info: Info) -> list["Application"]:
        rows = await info.context.loaders.many_by(m.Application, "applicant_id", "submitted_at").load(self.pk)
        return [Application.from_row(r) for r in rows]

    @classmethod
    def from_row(cls, r: m.Applicant) -> "Applicant":
        return cls(id=strawberry.ID(ids.encode("Applicant", r.id)), **scalars_of("Applicant", r), pk=r.id)


@strawberry.type
class LanguageTest:
    level: LanguageLevel
    listening_percent: int = strawberry.field(description="Percent of the listening block answered correctly.")
    reading_percent: int = strawberry.field(description="Percent of the reading block answered correctly.")
    certificate_number: str
    taken_on: dt.date

    @classmethod
    def from_row(cls, r: m.LanguageTest) -> "LanguageTest":
        return cls(**scalars_of("LanguageTest", r))


@strawberry.type
class Questionnaire:
    education_level: EducationLevel
    work_experience_years: int
    family_size: int
    russian: Proficiency
    english: Proficiency
    relatives_in_kazakhstan: bool
    prior_stay_in_kazakhstan: bool
    criminal_record: bool
    deported_before: bool
    savings: Decimal = strawberry.field(description="Savings in tenge, declared for the general route's solvency rule.")
    submitted_at: dt.datetime
    occupation_id: strawberry.Private[int | None]

    @strawberry.field(description="ISCO-08 occupation code (4 digits).")
    async def occupation_code(self, info: Info) -> str | None:
        occupation = await info.context.loaders.get(m.Occupation, self.occupation_id)
        return occupation.code if occupation else None

    @classmethod
    def from_row(cls, r: m.Questionnaire) -> "Questionnaire":
        return cls(**scalars_of("Questionnaire", r), occupation_id=r.occupation_id)


@strawberry.type(description="A member of the principal applicant's family, as the questionnaire lists them. "
                             "With members on record, the family size (quota seats, relocation cap, the "
                             "contract's family) is 1 + their number.")
class FamilyMember:
    full_name: str
    birth_date: dt.date
    sex: Sex
    relation: FamilyRelation
    document_number: str
    iin: str | None

    @classmethod
    def from_row(cls, r: m.FamilyMember) -> "FamilyMember":
        return cls(**scalars_of("FamilyMember", r))


@strawberry.type
class Check(Node):
    status: CheckStatus
    details: str | None
    requested_at: dt.datetime
    completed_at: dt.datetime | None
    updated_at: dt.datetime
    application_id: strawberry.Private[int]
    check_type_id: strawberry.Private[int]

    @strawberry.field
    async def application(self, info: Info) -> "Application | None":
        row = await info.context.loaders.get(m.Application, self.application_id)
        return Application.from_row(row) if row else None

    @strawberry.field
    async def check_type(self, info: Info) -> CheckType:
        return CheckType.from_row(await info.context.loaders.get(m.CheckType, self.check_type_id))

    @classmethod
    def from_row(cls, r: m.Check) -> "Check":
        return cls(id=strawberry.ID(ids.encode("Check", r.id)), **scalars_of("Check", r),
                   application_id=r.application_id, check_type_id=r.check_type_id)


@strawberry.type
class Interview:
    scheduled_at: dt.datetime
    outcome: InterviewOutcome | None
    points: int | None
    notes: str | None

    @classmethod
    def from_row(cls, r: m.Interview) -> "Interview":
        return cls(**scalars_of("Interview", r))


@strawberry.type
class GateResult:
    code: str
    passed: bool
    value: str | None = strawberry.field(description='The fact the gate looked at, as text (e.g. "A1").')
    reason: str


@strawberry.type
class CriterionScore:
    code: str
    points: int
    max_points: int
    value: str | None
    reason: str


@strawberry.type
class Score:
    total: int
    max_total: int
    pass_mark: int
    passed: bool
    model_version: str
    computed_at: dt.datetime
    stale: bool = strawberry.field(description=(
        "A fact this score was computed from (language test, questionnaire, checks, interview) has changed "
        "since: the application is back in SUBMITTED and this score is kept only to explain the last one "
        "until the application is scored again."))
    gates: list[GateResult]
    breakdown: list[CriterionScore]

    @classmethod
    def from_row(cls, r: m.Score) -> "Score":
        return cls.from_result(r.result, model_version=r.model_version, computed_at=r.computed_at, stale=r.stale)

    @classmethod
    def from_result(cls, result: dict[str, Any], *, model_version: str, computed_at: dt.datetime,
                    stale: bool = False) -> "Score":
        return cls(
            total=result["total"], max_total=result["maxTotal"], pass_mark=result["passMark"], passed=result["passed"],
            model_version=model_version, computed_at=computed_at, stale=stale,
            gates=[GateResult(code=g["code"], passed=g["passed"], value=g.get("value"), reason=g["reason"])
                   for g in result.get("gates", [])],
            breakdown=[CriterionScore(code=c["code"], points=c["points"], max_points=c["maxPoints"],
                                      value=c.get("value"), reason=c["reason"]) for c in result.get("breakdown", [])],
        )


@strawberry.type(description="How and why an application left the undecided states: an officer's decision, a "
                             "selection round's approval, or the applicant's withdrawal.")
class ApplicationDecision:
    outcome: DecisionOutcome
    reason: str | None = strawberry.field(description="Why; always given for a refusal.")
    decided_at: dt.datetime
    decided_by: str | None = strawberry.field(
        description="Who decided (or withdrew, or ran the round): staff only; null for the applicant.")

    @classmethod
    def from_row(cls, r: m.ApplicationDecision) -> "ApplicationDecision":
        return cls(outcome=r.outcome, reason=r.reason, decided_at=r.decided_at, decided_by=r.decided_by)


@strawberry.type
class Application(Node):
    number: str = strawberry.field(description="Human-readable number, unique, e.g. RP-2026-000123.")
    route: Route
    status: ApplicationStatus
    submitted_at: dt.datetime
    due_date: dt.date = strawberry.field(description="The date by which a decision is due (29 days after submission).")
    pk: strawberry.Private[int]
    applicant_id: strawberry.Private[int]
    target_region_id: strawberry.Private[int]
    occupation_id: strawberry.Private[int | None]

    @strawberry.field
    async def applicant(self, info: Info) -> Applicant:
        row = await info.context.loaders.get(m.Applicant, self.applicant_id)
        return Applicant.from_row(row)

    @strawberry.field
    async def target_region(self, info: Info) -> Region:
        return Region.from_row(await info.context.loaders.get(m.Region, self.target_region_id))

    @strawberry.field
    async def occupation_code(self, info: Info) -> str | None:
        occupation = await info.context.loaders.get(m.Occupation, self.occupation_id)
        return occupation.code if occupation else None

    @strawberry.field
    async def language_test(self, info: Info) -> LanguageTest | None:
        row = await info.context.loaders.one_by(m.LanguageTest, "application_id").load(self.pk)
        return LanguageTest.from_row(row) if row else None

    @strawberry.field
    async def questionnaire(self, info: Info) -> Questionnaire | None:
        row = await info.context.loaders.one_by(m.Questionnaire, "application_id").load(self.pk)
        return Questionnaire.from_row(row) if row else None

    @strawberry.field(description="The family members the questionnaire lists, in its order (empty when it gives "
                                  "only a family size). Staff and the applicant; empty for agencies.")
    async def family_members(self, info: Info) -> list[FamilyMember]:
        rows = await info.context.loaders.many_by(m.FamilyMember, "application_id", "position").load(self.pk)
        return [FamilyMember.from_row(r) for r in rows]

    @strawberry.field
    async def checks(self, info: Info) -> list[Check]:
        rows = await info.context.loaders.many_by(m.Check, "application_id").load(self.pk)
        return [Check.from_row(r) for r in rows]

    @strawberry.field
    async def interview(self, info: Info) -> Interview | None:
        row = await info.context.loaders.one_by(m.Interview, "application_id").load(self.pk)
        return Interview.from_row(row) if row else None

    @strawberry.field
    async def score(self, info: Info) -> Score | None:
        row = await info.context.loaders.one_by(m.Score, "application_id").load(self.pk)
        return Score.from_row(row) if row else None

    @strawberry.field(description="The decision in force (or the withdrawal); null while the application is undecided.")
    async def decision(self, info: Info) -> ApplicationDecision | None:
        rows = await info.context.loaders.many_by(m.ApplicationDecision, "application_id", "decided_at").load(self.pk)
        return ApplicationDecision.from_row(rows[-1]) if rows else None

    @strawberry.field
    async def contract(self, info: Info) -> "SocialContract | None":
        row = await info.context.loaders.one_by(m.SocialContract, "application_id").load(self.pk)
        return SocialContract.from_row(row) if row else None

    @classmethod
    def from_row(cls, r: m.Application) -> "Application":
        return cls(id=strawberry.ID(ids.encode("Application", r.id)), **scalars_of("Application", r), pk=r.id,
                   applicant_id=r.applicant_id, target_region_id=r.target_region_id, occupation_id=r.occupation_id)


# ---------------------------------------------------------------- contracts


@strawberry.type
class SupportPayment:
    measure_code: str
    amount: Decimal
    paid_on: dt.date


@strawberry.type
class ContractTermination:
    reason: TerminationReason
    effective_date: dt.date
    refund_due: Decimal
    refund_paid: Decimal
    refund_outstanding: Decimal

    @classmethod
    def from_row(cls, r: m.ContractTermination) -> "ContractTermination":
        return cls(**scalars_of("ContractTermination", r))


@strawberry.type
class SocialContract(Node):
    number: str
    family_size: int
    start_date: dt.date
    end_date: dt.date
    status: ContractStatus
    total_support: Decimal
    pk: strawberry.Private[int]
    application_id: strawberry.Private[int]
    region_id: strawberry.Private[int]

    @strawberry.field
    async def application(self, info: Info) -> Application:
        return Application.from_row(await info.context.loaders.get(m.Application, self.application_id))

    @strawberry.field
    async def region(self, info: Info) -> Region:
        return Region.from_row(await info.context.loaders.get(m.Region, self.region_id))

    @strawberry.field
    async def payments(self, info: Info) -> list[SupportPayment]:
        rows = await info.context.loaders.many_by(m.SupportPayment, "contract_id", "paid_on").load(self.pk)
        result = []
        for r in rows:
            measure = await info.context.loaders.get(m.SupportMeasure, r.measure_id)
            result.append(SupportPayment(measure_code=measure.code, amount=r.amount, paid_on=r.paid_on))
        return result

    @strawberry.field
    async def termination(self, info: Info) -> ContractTermination | None:
        row = await info.context.loaders.one_by(m.ContractTermination, "contract_id").load(self.pk)
        return ContractTermination.from_row(row) if row else None

    @classmethod
    def from_row(cls, r: m.SocialContract) -> "SocialContract":
        return cls(id=strawberry.ID(ids.encode("SocialContract", r.id)), **scalars_of("SocialContract", r),
                   pk=r.id, application_id=r.application_id, region_id=r.region_id)


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

    @strawberry.field(description="Numbers of the applications the round approved, in ranking order.")
    async def approved_numbers(self, info: Info) -> list[str]:
        rows = await info.context.loaders.by_id(m.Application).load_many(self.approved_ids)
        return [r.number for r in rows if r is not None]

    @strawberry.field(description="Numbers of the applications ranked above the last approved one whose family "
                                  "did not fit in the seats left (they stay PASSED), in ranking order.")
    async def passed_over_numbers(self, info: Info) -> list[str]:
        rows = await info.context.loaders.by_id(m.Application).load_many(self.passed_over_ids)
        return [r.number for r in rows if r is not None]

    @classmethod
    def from_row(cls, r: m.SelectionRound, *, approved_ids: list[int], passed_over_ids: list[int]) -> "SelectionRound":
        return cls(id=strawberry.ID(ids.encode("SelectionRound", r.id)), dry_run=False, ran_at=r.ran_at,
                   cutoff_score=r.cutoff_score, ran_by=r.ran_by, seats_taken=r.seats_taken, quota_id=r.quota_id,
                   approved_ids=approved_ids, passed_over_ids=passed_over_ids)

    @strawberry.field
    async def quota(self, info: Info) -> Quota:
        return Quota.from_row(await info.context.loaders.get(m.Quota, self.quota_id))

    @strawberry.field
    async def approved(self, info: Info) -> list[Application]:
        rows = await info.context.loaders.by_id(m.Application).load_many(self.approved_ids)
        return [Application.from_row(r) for r in rows if r is not None]


@strawberry.type(description="What a draft scoring model would change, before anyone publishes it.")
class ScoringSimulation:
    model_version: str
    evaluated: int = strawberry.field(description="Scored, undecided applications that were evaluated under the draft.")
    passed_now: int
    passed_under_draft: int
    newly_passing_ids: strawberry.Private[list[int]]
    newly_failing_ids: strawberry.Private[list[int]]

    @strawberry.field(description="Applications that fail now and would pass under the draft.")
    async def newly_passing(self, info: Info) -> list[Application]:
        rows = await info.context.loaders.by_id(m.Application).load_many(self.newly_passing_ids)
        return [Application.from_row(r) for r in rows if r is not None]

    @strawberry.field(description="Applications that pass now and would fail under the draft.")
    async def newly_failing(self, info: Info) -> list[Application]:
        rows = await info.context.loaders.by_id(m.Application).load_many(self.newly_failing_ids)
        return [Application.from_row(r) for r in rows if r is not None]


# ---------------------------------------------------------------- connections


@strawberry.type
class ApplicationEdge:
    cursor: str
    node: Application


@strawberry.type
class ApplicationConnection:
    page_info: PageInfo
    edges: list[ApplicationEdge]
    total_count: int


@strawberry.type
class CheckEdge:
    cursor: str
    node: Check


@strawberry.type
class CheckConnection:
    page_info: PageInfo
    edges: list[CheckEdge]


@strawberry.type
class SocialContractEdge:
    cursor: str
    node: SocialContract


@strawberry.type
class SocialContractConnection:
    page_info: PageInfo
    edges: list[SocialContractEdge]
    total_count: int


NODE_TYPES: dict[str, tuple[type, Any]] = {
    "Region": (m.Region, Region),
    "Agency": (m.Agency, Agency),
    "CheckType": (m.CheckType, CheckType),
    "ScoringModel": (m.ScoringModel, ScoringModel),
    "Quota": (m.Quota, Quota),
    "Applicant": (m.Applicant, Applicant),
    "Application": (m.Application, Application),
    "Check": (m.Check, Check),
    "SocialContract": (m.SocialContract, SocialContract),
    "SelectionRound": (m.SelectionRound, SelectionRound),
}
