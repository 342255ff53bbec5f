"""One application's whole case, read for the people who decide it (the admin
panel's case page): the applicant and family, the language test, the
questionnaire, the checks with their agencies, the interview, the score's gates
and criteria with their reasons, the decisions, the contract with its ledger and
termination, and the audit events of all of these, oldest first.

``case_file(session, viewer, application_id)`` reads it in one session; it
writes nothing. Further sections (kandas status, reviews, breaches) are added
as ``extra`` entries by their own read functions (``EXTRA_SECTIONS``), so this
module does not need to know them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Agency,
    Applicant,
    Application,
    ApplicationDecision,
    AuditEvent,
    Check,
    CheckType,
    ContractTermination,
    FamilyMember,
    Interview,
    LanguageTest,
    Questionnaire,
    RefundPayment,
    Score,
    SocialContract,
    SupportMeasure,
    SupportPayment,
)
from core.text import t
from services import labels
from services.errors import forbidden, not_found
from services.scoring.results import ScoreResult
from services.viewer import ADMIN_PANEL_ROLE, Viewer

TIMELINE_SHOWN = 500


@dataclass(frozen=True)
class CheckLine:
    check: Check
    type_code: str
    type_name: str
    agency_code: str
    agency_name: str
    mandatory: bool


@dataclass(frozen=True)
class LedgerLine:
    """One line of a contract's ledger: support paid (positive) or a refund received."""

    kind: str  # "support" | "refund"
    paid_on: Any
    amount: Decimal
    measure: str | None
    recorded_by: str
    recorded_at: Any


@dataclass(frozen=True)
class ContractFile:
    contract: SocialContract
    ledger: list[LedgerLine]
    support_by_measure: dict[str, Decimal]
    termination: ContractTermination | None
    refund_outstanding: Decimal


@dataclass
class CaseFile:
    application: Application
    applicant: Applicant
    region: str
    occupation: str | None
    quota: str | None
    family: list[FamilyMember]
    language_test: LanguageTest | None
    questionnaire: Questionnaire | None
    questionnaire_occupation: str | None
    checks: list[CheckLine]
    interview: Interview | None
    score: Score | None
    score_result: ScoreResult | None
    decisions: list[ApplicationDecision]
    contract: ContractFile | None
    timeline: list[AuditEvent]
    # Sections other features add: title -> rows of (label, value), by EXTRA_SECTIONS.
    extra: dict[str, list[tuple[str, Any]]] = field(default_factory=dict)


# Read functions of other features that add a section to the case:
# ``async fn(session, viewer, case) -> (title, rows) | None``.
EXTRA_SECTIONS: list[Callable[[AsyncSession, Viewer, CaseFile], Awaitable[tuple[str, list[tuple[str, Any]]] | None]]] = []


def may_read_cases(viewer: Viewer) -> bool:
    """Officers, administrators and the admin panel's accounts (auditors included) read whole cases."""
    return viewer.is_staff or viewer.role == ADMIN_PANEL_ROLE


async def _one(session: AsyncSession, model: Any, application_id: int) -> Any:
    return (await session.execute(sa.select(model).where(model.application_id == application_id))).scalar_one_or_none()


async def _checks(session: AsyncSession, application_id: int) -> list[CheckLine]:
    rows = (await session.execute(
        sa.select(Check, CheckType.code, CheckType.name, CheckType.mandatory, Agency.code, Agency.name)
        .join(CheckType, CheckType.id == Check.check_type_id).join(Agency, Agency.id == CheckType.agency_id)
        .where(Check.application_id == application_id).order_by(CheckType.code, Check.id))).all()
    return [CheckLine(check, code, name, agency_code, agency_name, mandatory)
            for check, code, name, mandatory, agency_code, agency_name in rows]


async def contract_file(session: AsyncSession, contract: SocialContract) -> ContractFile:
    payments = (await session.execute(
        sa.select(SupportPayment, SupportMeasure.code).join(SupportMeasure, SupportMeasure.id == SupportPayment.measure_id)
        .where(SupportPayment.contract_id == contract.id))).all()
    refunds = (await session.execute(
        sa.select(RefundPayment).where(RefundPayment.contract_id == contract.id))).scalars().all()
    ledger = [LedgerLine("support", p.paid_on, p.amount, code, p.recorded_by, p.recorded_at) for p, code in payments]
    ledger += [LedgerLine("refund", r.paid_on, r.amount, None, r.recorded_by, r.recorded_at) for r in refunds]
    ledger.sort(key=lambda line: (line.paid_on, line.recorded_at))
    by_measure: dict[str, Decimal] = {}
    for p, code in payments:
        by_measure[code] = by_measure.get(code, Decimal("0.00")) + p.amount
    termination = (await session.execute(
        sa.select(ContractTermination).where(ContractTermination.contract_id == contract.id))).scalar_one_or_none()
    outstanding = (termination.refund_due - termination.refund_paid) if termination is not None else Decimal("0.00")
    return ContractFile(contract, ledger, dict(sorted(by_measure.items())), termination, outstanding)


async def _timeline(session: AsyncSession, application: Application, contract: SocialContract | None
                    ) -> list[AuditEvent]:
    about = [sa.and_(AuditEvent.entity_type == "application", AuditEvent.entity_id == application.id),
             sa.and_(AuditEvent.entity_type == "applicant", AuditEvent.entity_id == application.applicant_id)]
    if contract is not None:
        about.append(sa.and_(AuditEvent.entity_type == "social_contract", AuditEvent.entity_id == contract.id))
    return list((await session.execute(
        sa.select(AuditEvent).where(sa.or_(*about)).order_by(AuditEvent.at, AuditEvent.id).limit(TIMELINE_SHOWN)
    )).scalars())


async def case_file(session: AsyncSession, viewer: Viewer, application_id: int) -> CaseFile:
    """The whole case of one application (refused to callers who do not decide cases)."""
    if not may_read_cases(viewer):
        raise forbidden(t("only officers and administrators read a whole case"))
    application = await session.get(Application, application_id)
    if application is None:
        raise not_found("application", "applicationId")
    applicant = await session.get(Applicant, application.applicant_id)
    region = (await labels.labels(session, "region", [application.target_region_id]))[application.target_region_id]
    occupation = None
    if application.occupation_id is not None:
        occupation = (await labels.labels(session, "occupation", [application.occupation_id])).get(
            application.occupation_id)
    quota = None
    if application.quota_id is not None:
        quota = (await labels.labels(session, "quota", [application.quota_id])).get(application.quota_id)
    family = list((await session.execute(
        sa.select(FamilyMember).where(FamilyMember.application_id == application_id).order_by(FamilyMember.position)
    )).scalars())
    questionnaire = await _one(session, Questionnaire, application_id)
    questionnaire_occupation = None
    if questionnaire is not None and questionnaire.occupation_id is not None:
        questionnaire_occupation = (await labels.labels(session, "occupation", [questionnaire.occupation_id])).get(
            questionnaire.occupation_id)
    score = await _one(session, Score, application_id)
    decisions = list((await session.execute(
        sa.select(ApplicationDecision).where(ApplicationDecision.application_id == application_id)
        .order_by(ApplicationDecision.decided_at, ApplicationDecision.id))).scalars())
    contract = await _one(session, SocialContract, application_id)
    case = CaseFile(
        application=application, applicant=applicant, region=region, occupation=occupation, quota=quota,
        family=family, language_test=await _one(session, LanguageTest, application_id),
        questionnaire=questionnaire, questionnaire_occupation=questionnaire_occupation,
        checks=await _checks(session, application_id), interview=await _one(session, Interview, application_id),
        score=score, score_result=ScoreResult.from_stored(score.result, score.explanation) if score is not None and score.result else None,
        decisions=decisions, contract=await contract_file(session, contract) if contract is not None else None,
        timeline=await _timeline(session, application, contract),
    )
    for section in EXTRA_SECTIONS:
        added = await section(session, viewer, case)
        if added is not None:
            case.extra[added[0]] = added[1]
    return case
