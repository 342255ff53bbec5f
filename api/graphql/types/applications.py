"""Applicants and applications, with what an application gathers: language
test, questionnaire, family, checks, interview, score and decision."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from services.scoring.results import stored_reason, stored_score

import models as m
from models.enums import UNDECIDED_STATUSES
from api.graphql.context import Info
from api.graphql.types.common import (
    ApplicationStatus,
    CheckStatus,
    DecisionOutcome,
    EducationLevel,
    FamilyRelation,
    FromRow,
    child_field,
    InterviewOutcome,
    LanguageLevel,
    Node,
    Proficiency,
    Route,
    Sex,
)
from api.graphql.types.explain import Basis, ScoreHistoryEntry, ScoreImprovement
from api.graphql.types.reference import CheckType, Region, occupation_code_of

if TYPE_CHECKING:
    from api.graphql.types.contracts import SocialContract
    from api.graphql.types.labour import WorkPermit


@strawberry.type
class Applicant(Node, FromRow):
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
        return await Application.many_by(info, "applicant_id", self.pk, "submitted_at")



@strawberry.type
class LanguageTest(FromRow):
    level: LanguageLevel
    listening_percent: int = strawberry.field(description="Percent of the listening block answered correctly.")
    reading_percent: int = strawberry.field(description="Percent of the reading block answered correctly.")
    certificate_number: str
    taken_on: dt.date



@strawberry.type
class Questionnaire(FromRow):
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
        return await occupation_code_of(info, self.occupation_id)



@strawberry.type(description="A member of the principal applicant's family, as the questionnaire lists them. "
                             "With members on record, the family size (quota seats, relocation cap, the "
                             "contract's family) is 1 + their number.")
class FamilyMember(FromRow):
    full_name: str
    birth_date: dt.date
    sex: Sex
    relation: FamilyRelation
    document_number: str
    iin: str | None



@strawberry.type
class Check(Node, FromRow):
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



@strawberry.type
class Interview(FromRow):
    scheduled_at: dt.datetime
    outcome: InterviewOutcome | None
    points: int | None
    notes: str | None



@strawberry.type
class GateResult:
    code: str
    passed: bool
    value: str | None = strawberry.field(description='The fact the gate looked at, as text (e.g. "A1").')
    reason: str
    basis: Basis | None = strawberry.field(default=None, description="The legal source of the gate, when the "
                                                                      "model cites one.")


@strawberry.type
class CriterionScore:
    code: str
    points: int
    max_points: int
    value: str | None
    reason: str
    basis: Basis | None = strawberry.field(default=None, description="The legal source of the criterion, when the "
                                                                      "model cites one.")


@strawberry.type
class Score(FromRow):
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
    pass_mark_basis: Basis | None = strawberry.field(default=None, description=(
        "The legal source of the pass mark, when the model cites one."))
    application_id: strawberry.Private[int | None] = None

    @strawberry.field(description=(
        "What would raise this application's score under the model in force, from the facts on file: for each "
        "criterion below its maximum, the nearest value of a fact the applicant can change that scores more; for "
        "each failed gate, the value that would pass. Never age, sex, citizenship or family. The applicant "
        "(their own) and staff."))
    async def improvements(self, info: Info) -> list[ScoreImprovement]:
        if self.application_id is None:
            return []
        found = await info.context.loaders.improvements().load(self.application_id)
        return [ScoreImprovement.from_improvement(i) for i in found]

    @classmethod
    def from_row(cls, r: m.Score) -> "Score":
        return cls.from_result(stored_score(r.result, r.explanation), model_version=r.model_version, computed_at=r.computed_at, stale=r.stale,
                               application_id=r.application_id)

    @classmethod
    def from_result(cls, result: dict[str, Any], *, model_version: str, computed_at: dt.datetime,
                    stale: bool = False, application_id: int | None = None) -> "Score":
        return cls(
            total=result["total"], max_total=result["maxTotal"], pass_mark=result["passMark"], passed=result["passed"],
            model_version=model_version, computed_at=computed_at, stale=stale, application_id=application_id,
            pass_mark_basis=Basis.from_json(result.get("passMarkBasis")),
            gates=[GateResult(code=g["code"], passed=g["passed"], value=g.get("value"), reason=stored_reason(g),
                              basis=Basis.from_json(g.get("basis"))) for g in result.get("gates", [])],
            breakdown=[CriterionScore(code=c["code"], points=c["points"], max_points=c["maxPoints"],
                                      value=c.get("value"), reason=stored_reason(c), basis=Basis.from_json(c.get("basis")))
                       for c in result.get("breakdown", [])],
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
class Application(Node, FromRow):
    number: str = strawberry.field(description="Human-readable number, unique, e.g. RP-2026-000123.")
    route: Route
    status: ApplicationStatus
    submitted_at: dt.datetime
    due_date: dt.date = strawberry.field(description="The date by which a decision is due (29 days after submission).")
    pk: strawberry.Private[int]
    applicant_id: strawberry.Private[int]
    target_region_id: strawberry.Private[int]
    occupation_id: strawberry.Private[int | None]
    permit_id: strawberry.Private[int | None]

    @strawberry.field
    async def applicant(self, info: Info) -> Applicant:
        row = await info.context.loaders.get(m.Applicant, self.applicant_id)
        return Applicant.from_row(row)

    @strawberry.field
    async def target_region(self, info: Info) -> Region:
        return Region.from_row(await info.context.loaders.get(m.Region, self.target_region_id))

    @strawberry.field
    async def occupation_code(self, info: Info) -> str | None:
        return await occupation_code_of(info, self.occupation_id)

    language_test = child_field(LanguageTest)
    questionnaire = child_field(Questionnaire)
    family_members = child_field(FamilyMember, many=True, order_by="position", description=(
        "The family members the questionnaire lists, in its order (empty when it gives only a family size). Staff "
        "and the applicant; empty for agencies."))
    checks = child_field(Check, many=True)
    interview = child_field(Interview)
    score = child_field(Score)

    @strawberry.field(description="Every score the application has had, newest first (the current score is the "
                                  "newest): model version, total, passed, when and why. The applicant and staff.")
    async def score_history(self, info: Info) -> list[ScoreHistoryEntry]:
        rows = await info.context.loaders.many_by(m.ScoreHistory, "application_id", "computed_at").load(self.pk)
        return [ScoreHistoryEntry.from_row(r) for r in reversed(rows)]

    @strawberry.field(description="The decision in force (or the withdrawal); null while the application is undecided.")
    async def decision(self, info: Info) -> ApplicationDecision | None:
        if self.status in UNDECIDED_STATUSES:  # e.g. a refusal overturned on review (SPEC §14)
            return None
        rows = await info.context.loaders.many_by(m.ApplicationDecision, "application_id", "decided_at").load(self.pk)
        return ApplicationDecision.from_row(rows[-1]) if rows else None

    @strawberry.field(description="LABOUR: the approved work permit the application names (staff only).")
    async def permit(
        self, info: Info
    ) -> Annotated["WorkPermit", strawberry.lazy("api.graphql.types.labour")] | None:
        from api.graphql.types.labour import WorkPermit  # the labour module imports this one

        row = await info.context.loaders.get(m.WorkPermit, self.permit_id)
        return WorkPermit.from_row(row) if row else None

    @strawberry.field
    async def contract(
        self, info: Info
    ) -> Annotated["SocialContract", strawberry.lazy("api.graphql.types.contracts")] | None:
        from api.graphql.types.contracts import SocialContract  # the contracts module imports this one

        return await SocialContract.one_by(info, "application_id", self.pk)

    @strawberry.field(description="The principal applicant's kandas status, granted when a selection round approved "
                                  "the application (SPEC §12); null otherwise.")
    async def kandas_status(
        self, info: Info
    ) -> Annotated["KandasStatus", strawberry.lazy("api.graphql.types.kandas")] | None:
        from api.graphql.types.kandas import KandasStatus  # the kandas module imports this one

        row = await info.context.loaders.one_by(m.KandasStatus, "application_id").load(self.pk)
        return KandasStatus.from_row(row) if row else None

    @strawberry.field(description="The reviews of its decisions the applicant asked for (SPEC §14), oldest first.")
    async def reviews(
        self, info: Info
    ) -> list[Annotated["DecisionReview", strawberry.lazy("api.graphql.types.kandas")]]:
        from api.graphql.types.kandas import DecisionReview

        rows = await info.context.loaders.many_by(m.DecisionReview, "application_id", "requested_at").load(self.pk)
        return [DecisionReview.from_row(r) for r in rows]


async def applications_by_id(info: Info, pks: list[int]) -> list[m.Application]:
    """The application rows of ``pks`` the caller may read, in that order."""
    rows = await info.context.loaders.by_id(m.Application).load_many(pks)
    return [r for r in rows if r is not None]
