"""The facts a scoring model may look at (SPEC §3), gathered from the database for
many applications at once (one query per table, whatever the batch size)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Applicant,
    Application,
    Check,
    CheckType,
    DeficitOccupation,
    Interview,
    LanguageTest,
    MrpValue,
    Questionnaire,
    Region,
)
from models.enums import CheckStatus
from services.rules import age_on


async def mrp_for(session: AsyncSession, year: int) -> Decimal | None:
    return (await session.execute(select(MrpValue.amount).where(MrpValue.year == year))).scalar_one_or_none()


async def gather(session: AsyncSession, apps: Sequence[Application], on: dt.date) -> dict[int, dict[str, Any]]:
    """``{application id: facts}`` for scoring on the date ``on``."""
    if not apps:
        return {}
    app_ids = [a.id for a in apps]
    applicants = {
        a.id: a for a in (await session.execute(
            select(Applicant).where(Applicant.id.in_({a.applicant_id for a in apps})))).scalars()
    }
    tests = {t.application_id: t for t in (await session.execute(
        select(LanguageTest).where(LanguageTest.application_id.in_(app_ids)))).scalars()}
    questionnaires = {q.application_id: q for q in (await session.execute(
        select(Questionnaire).where(Questionnaire.application_id.in_(app_ids)))).scalars()}
    interviews = {i.application_id: i for i in (await session.execute(
        select(Interview).where(Interview.application_id.in_(app_ids)))).scalars()}
    checks: dict[int, list[tuple[Check, bool]]] = defaultdict(list)
    for check, mandatory in (await session.execute(
        select(Check, CheckType.mandatory).join(CheckType, CheckType.id == Check.check_type_id)
        .where(Check.application_id.in_(app_ids))
    )).all():
        checks[check.application_id].append((check, mandatory))
    deficit_regions = {r.id: r.labour_deficit for r in (await session.execute(
        select(Region).where(Region.id.in_({a.target_region_id for a in apps})))).scalars()}
    pairs = {(a.target_region_id, q.occupation_id) for a in apps
             if (q := questionnaires.get(a.id)) is not None and q.occupation_id is not None}
    in_deficit: set[tuple[int, int]] = set()
    if pairs:
        rows = (await session.execute(
            select(DeficitOccupation.region_id, DeficitOccupation.occupation_id)
            .where(DeficitOccupation.year == on.year,
                   tuple_(DeficitOccupation.region_id, DeficitOccupation.occupation_id).in_(sorted(pairs)))
        )).all()
        in_deficit = {(r, o) for r, o in rows}
    mrp = await mrp_for(session, on.year)

    result: dict[int, dict[str, Any]] = {}
    for app in apps:
        applicant = applicants[app.applicant_id]
        test = tests.get(app.id)
        q = questionnaires.get(app.id)
        interview = interviews.get(app.id)
        app_checks = checks.get(app.id, [])
        facts: dict[str, Any] = {
            "route": app.route.value,
            "applicant.age": age_on(applicant.birth_date, on),
            "applicant.ethnicKazakh": applicant.ethnic_kazakh,
            "region.labourDeficit": deficit_regions.get(app.target_region_id, False),
            "checks.mandatoryCleared": bool(app_checks) and all(
                c.status == CheckStatus.CLEARED for c, mandatory in app_checks if mandatory),
            "checks.anyFlagged": any(c.status == CheckStatus.FLAGGED for c, _ in app_checks),
        }
        if test is not None:
            facts["language.level"] = test.level.value
            facts["language.minBlockPercent"] = min(test.listening_percent, test.reading_percent)
        if q is not None:
            facts.update({
                "questionnaire.educationLevel": q.education_level.value,
                "questionnaire.workExperienceYears": q.work_experience_years,
                "questionnaire.familySize": q.family_size,
                "questionnaire.russian": q.russian.value,
                "questionnaire.english": q.english.value,
                "questionnaire.relativesInKazakhstan": q.relatives_in_kazakhstan,
                "questionnaire.priorStayInKazakhstan": q.prior_stay_in_kazakhstan,
                "questionnaire.criminalRecord": q.criminal_record,
                "questionnaire.deportedBefore": q.deported_before,
                "questionnaire.occupationInDeficit": q.occupation_id is not None
                and (app.target_region_id, q.occupation_id) in in_deficit,
            })
            if mrp:
                facts["questionnaire.savingsMrp"] = (q.savings / mrp).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        if interview is not None:
            if interview.outcome is not None:
                facts["interview.outcome"] = interview.outcome.value
            if interview.points is not None:
                facts["interview.points"] = interview.points
        result[app.id] = facts
    return result
