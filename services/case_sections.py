"""The case page's sections after the decision (SPEC §12–15, §17): the kandas
status, the reviews of the decision, the contract's breach cases, the work permit
the application names, and the score history. Each is a read function added to
``services.case_file.EXTRA_SECTIONS``; importing this module registers them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import today_almaty
from core.text import t
from models import ContractBreach, DecisionReview, Employer, KandasStatus, ScoreHistory, WorkPermit
from services import kandas
from services.case_file import EXTRA_SECTIONS, CaseFile
from services.viewer import Viewer

Section = tuple[str, list[tuple[str, Any]]] | None


async def kandas_status(session: AsyncSession, viewer: Viewer, case: CaseFile) -> Section:
    status = (await session.execute(sa.select(KandasStatus).where(
        KandasStatus.application_id == case.application.id))).scalar_one_or_none()
    if status is None:
        return None
    rows: list[tuple[str, Any]] = [
        (t("Number"), status.number), (t("Status"), kandas.state_on(status.status, status.valid_until, today_almaty())),
        (t("Granted on"), status.granted_on), (t("Valid until"), status.valid_until),
        (t("Extended by (months)"), status.extended_months)]
    if status.ended_on is not None:
        rows += [(t("Ended on"), status.ended_on), (t("End reason"), status.end_reason)]
    return t("Kandas status"), rows


async def reviews(session: AsyncSession, viewer: Viewer, case: CaseFile) -> Section:
    found = (await session.execute(sa.select(DecisionReview).where(
        DecisionReview.application_id == case.application.id).order_by(DecisionReview.id))).scalars().all()
    if not found:
        return None
    rows: list[tuple[str, Any]] = []
    for review in found:
        rows += [(review.number, t("{status}, due {due}; the {reviewed} decision of {decided_on} under review",
                                   status=review.status.value, due=review.due_date,
                                   reviewed=review.reviewed_status.value, decided_on=review.decision_on)),
                 (t("Grounds"), review.grounds)]
        if review.reason:
            rows.append((t("Reason"), review.reason))
    return t("Reviews of the decision"), rows


async def breaches(session: AsyncSession, viewer: Viewer, case: CaseFile) -> Section:
    if case.contract is None:
        return None
    found = (await session.execute(sa.select(ContractBreach).where(
        ContractBreach.contract_id == case.contract.contract.id).order_by(ContractBreach.id))).scalars().all()
    if not found:
        return None
    rows: list[tuple[str, Any]] = []
    for breach in found:
        rows.append((t("Opened on {day}", day=breach.opened_on), breach.status))
        if breach.note:
            rows.append((t("Note"), breach.note))
    return t("Breach cases (living in the region)"), rows


async def work_permit(session: AsyncSession, viewer: Viewer, case: CaseFile) -> Section:
    if case.application.permit_id is None:
        return None
    permit, employer = (await session.execute(
        sa.select(WorkPermit, Employer.name).join(Employer, Employer.id == WorkPermit.employer_id)
        .where(WorkPermit.id == case.application.permit_id))).one()
    return t("Work permit"), [(t("Number"), permit.number), (t("Employer"), employer),
                              (t("Category"), permit.category), (t("Status"), permit.status),
                              (t("Workers"), permit.workers), (t("Places used"), permit.places_used)]


async def score_history(session: AsyncSession, viewer: Viewer, case: CaseFile) -> Section:
    found = (await session.execute(sa.select(ScoreHistory).where(
        ScoreHistory.application_id == case.application.id)
        .order_by(ScoreHistory.computed_at.desc(), ScoreHistory.id.desc()))).scalars().all()
    if not found:
        return None
    rows: list[tuple[str, Any]] = []
    for row in found:
        values = {"total": row.total, "max_total": row.max_total, "version": row.model_version,
                  "reason": row.reason.value}
        rows.append((row.computed_at, t("{total} of {max_total} under {version}: passed ({reason})", **values)
                     if row.passed else t("{total} of {max_total} under {version}: not passed ({reason})", **values)))
    return t("Score history"), rows


EXTRA_SECTIONS.extend([score_history, kandas_status, reviews, work_permit, breaches])
