"""``services.facts.gather`` (two Core statements, plain rows) gives the facts the
earlier ORM implementation gave — kept here, as it was, as the oracle — for
applications with and without each stage, checks in every state, occupations in
and out of deficit, and a scoring year with and without an MRP."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import (
    Applicant,
    Application,
    Check,
    CheckType,
    DeficitOccupation,
    Interview,
    LanguageTest,
    MrpValue,
    Occupation,
    Questionnaire,
    Region,
    Violation,
)
from models.base import utcnow
from core.db import transaction
from models.enums import (
    ApplicationStatus,
    CheckStatus,
    EducationLevel,
    InterviewOutcome,
    LanguageLevel,
    Proficiency,
    Route,
    Sex,
    ViolationKind,
)
from services import facts
from services.rules import age_on


async def oracle(session: AsyncSession, apps: list[Application], on: dt.date) -> dict[int, dict[str, Any]]:
    """The facts as ``services.facts.gather`` built them before it read plain rows
    (one ORM query per table), unchanged."""
    app_ids = [a.id for a in apps]
    applicants = {a.id: a for a in (await session.execute(
        select(Applicant).where(Applicant.id.in_({a.applicant_id for a in apps})))).scalars()}
    tests = {t.application_id: t for t in (await session.execute(
        select(LanguageTest).where(LanguageTest.application_id.in_(app_ids)))).scalars()}
    questionnaires = {q.application_id: q for q in (await session.execute(
        select(Questionnaire).where(Questionnaire.application_id.in_(app_ids)))).scalars()}
    interviews = {i.application_id: i for i in (await session.execute(
        select(Interview).where(Interview.application_id.in_(app_ids)))).scalars()}
    checks: dict[int, list[tuple[Check, bool]]] = defaultdict(list)
    for check, mandatory in (await session.execute(
        select(Check, CheckType.mandatory).join(CheckType, CheckType.id == Check.check_type_id)
        .where(Check.application_id.in_(app_ids)))).all():
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
                   tuple_(DeficitOccupation.region_id, DeficitOccupation.occupation_id).in_(sorted(pairs))))).all()
        in_deficit = {(r, o) for r, o in rows}
    mrp = await facts.mrp_for(session, on.year)
    record: dict[int, list[Violation]] = defaultdict(list)
    for v in (await session.execute(select(Violation).where(Violation.applicant_id.is_not(None)))).scalars():
        record[v.applicant_id].append(v)
    five_years_before = on.replace(year=on.year - 5)
    result: dict[int, dict[str, Any]] = {}
    for app in apps:
        applicant = applicants[app.applicant_id]
        test = tests.get(app.id)
        q = questionnaires.get(app.id)
        interview = interviews.get(app.id)
        app_checks = checks.get(app.id, [])
        f: dict[str, Any] = {
            "route": app.route.value,
            "applicant.age": age_on(applicant.birth_date, on),
            "applicant.ethnicKazakh": applicant.ethnic_kazakh,
            "region.labourDeficit": deficit_regions.get(app.target_region_id, False),
            "checks.mandatoryCleared": bool(app_checks) and all(
                c.status == CheckStatus.CLEARED for c, mandatory in app_checks if mandatory),
            "checks.anyFlagged": any(c.status == CheckStatus.FLAGGED for c, _ in app_checks),
            "record.violations": sum(1 for v in record[app.applicant_id] if five_years_before < v.occurred_on <= on),
            "record.falseDocuments": any(v.kind == ViolationKind.FALSE_DOCUMENTS for v in record[app.applicant_id]),
        }
        if test is not None:
            f["language.level"] = test.level.value
            f["language.minBlockPercent"] = min(test.listening_percent, test.reading_percent)
        if q is not None:
            f.update({
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
                f["questionnaire.savingsMrp"] = (q.savings / mrp).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        if interview is not None:
            if interview.outcome is not None:
                f["interview.outcome"] = interview.outcome.value
            if interview.points is not None:
                f["interview.points"] = interview.points
        result[app.id] = f
    return result


async def _populate(session: AsyncSession, n: int) -> list[int]:
    rng = random.Random(11)
    regions = list((await session.execute(select(Region).order_by(Region.id))).scalars())
    check_types = list((await session.execute(select(CheckType).order_by(CheckType.id))).scalars())
    assert {ct.mandatory for ct in check_types} == {True, False}
    occupations = list((await session.execute(select(Occupation.id).order_by(Occupation.id))).scalars())
    deficit = list((await session.execute(
        select(DeficitOccupation.region_id, DeficitOccupation.occupation_id).where(DeficitOccupation.year == 2026)
    )).all())
    assert deficit and {r.labour_deficit for r in regions} == {True, False}
    now = utcnow()
    apps: list[Application] = []
    for i in range(n):
        person = Applicant(full_name=f"Facts Applicant {i}", birth_date=dt.date(1960 + i % 45, 1 + i % 12, 1 + i % 28),
                           sex=Sex.MALE, citizenship="UZB", ethnic_kazakh=i % 3 == 0, document_number=f"FC{i:07d}")
        session.add(person)
        await session.flush()
        if i % 4 == 0:  # a region and occupation listed as in deficit for 2026
            region_id, occupation = deficit[i % len(deficit)]
        else:
            region_id, occupation = regions[i % len(regions)].id, rng.choice([None, *occupations[:30]])
        app = Application(number=f"FC-2026-{i:06d}", applicant_id=person.id, route=list(Route)[i % 3],
                          target_region_id=region_id, status=ApplicationStatus.SUBMITTED, citizenship="UZB",
                          document_number=person.document_number, submitted_at=now, due_date=dt.date(2026, 6, 1))
        session.add(app)
        await session.flush()
        apps.append(app)
        if i % 5 != 1:
            session.add(LanguageTest(application_id=app.id, level=list(LanguageLevel)[i % 5],
                                     listening_percent=rng.randint(0, 100), reading_percent=rng.randint(0, 100),
                                     certificate_number=f"FC-CERT-{i:06d}", taken_on=dt.date(2026, 1, 5)))
        if i % 7 != 2:
            session.add(Questionnaire(
                application_id=app.id, education_level=list(EducationLevel)[i % 6], work_experience_years=i % 40,
                occupation_id=occupation, family_size=1 + i % 9, russian=list(Proficiency)[i % 3],
                english=list(Proficiency)[(i // 3) % 3], relatives_in_kazakhstan=i % 2 == 0,
                prior_stay_in_kazakhstan=i % 5 == 0, criminal_record=i % 11 == 0, deported_before=i % 13 == 0,
                savings=Decimal(rng.randint(0, 90_000_000)) / 100))
        if i % 6 != 3:  # checks in every state, some on non-mandatory types only
            for ct in check_types if i % 8 else [ct for ct in check_types if not ct.mandatory]:
                session.add(Check(application_id=app.id, check_type_id=ct.id,
                                  status=rng.choice([CheckStatus.CLEARED] * 5 + list(CheckStatus)),
                                  requested_at=now, updated_at=now))
        if i % 9 != 4:
            outcome = rng.choice([None, *InterviewOutcome])
            session.add(Interview(application_id=app.id, scheduled_at=now, outcome=outcome,
                                  points=rng.choice([None, rng.randint(0, 10)]) if outcome else None))
        for j in range(i % 4):  # violations of every kind, some more than 5 years back
            session.add(Violation(external_id=f"FC-V-{i}-{j}", application_id=app.id, applicant_id=person.id,
                                  kind=list(ViolationKind)[(i + j) % 5], occurred_on=dt.date(2020 + j * 3, 3, 1),
                                  recorded_by="test"))
    await session.flush()
    return [a.id for a in apps]


async def test_gather_gives_the_facts_the_orm_implementation_gave(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    async with transaction(sessions) as s:
        ids = await _populate(s, 90)
    async with sessions() as s:
        years = set((await s.execute(select(MrpValue.year))).scalars())
        assert 2026 in years and 2031 not in years
        apps = list((await s.execute(select(Application).where(Application.id.in_(ids)))).scalars())
        for on in (dt.date(2026, 5, 20), dt.date(2031, 2, 1)):  # with and without an MRP and deficit listing
            expected = await oracle(s, apps, on)
            assert await facts.gather(s, apps, on) == expected
            assert await facts.gather(s, ids, on) == expected  # by id, too
            got = await facts.gather(s, ids, on)
            # the same types, too (the engine checks kinds: a bool is not an int, an int not a Decimal)
            assert {i: {k: type(v) for k, v in f.items()} for i, f in got.items()} == \
                {i: {k: type(v) for k, v in f.items()} for i, f in expected.items()}
        assert any("questionnaire.occupationInDeficit" in f and f["questionnaire.occupationInDeficit"]
                   for f in (await facts.gather(s, ids, dt.date(2026, 5, 20))).values())
        assert await facts.gather(s, [], dt.date(2026, 5, 20)) == {}
