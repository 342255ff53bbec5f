"""Rows inserted straight through a session, so quota and contract tests do not
depend on the application pipeline's mutations.

Every helper takes an ``AsyncSession`` that is already in a transaction (e.g.
``async with sessions.begin() as s:``) and only flushes."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Applicant,
    Application,
    ContractTermination,
    Occupation,
    Questionnaire,
    Quota,
    Region,
    Score,
    ScoringModel,
    SocialContract,
)
from models.enums import (
    ApplicationStatus,
    ContractStatus,
    EducationLevel,
    Proficiency,
    QuotaKind,
    Route,
    Sex,
)
from models.base import today_almaty
from services import kandas, numbers, search
from services.viewer import SYSTEM
from services.rules import add_years
from services.scoring.results import rendered_lines

UTC = dt.timezone.utc
BASE_SUBMITTED = dt.datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
MAX_TOTAL = 690
PASS_MARK = 400

_serial = itertools.count(1)


async def region_id(session: AsyncSession, code: str) -> int:
    return (await session.execute(select(Region.id).where(Region.code == code))).scalar_one()


async def occupation_id(session: AsyncSession, code: str) -> int:
    return (await session.execute(select(Occupation.id).where(Occupation.code == code))).scalar_one()


async def kandas_quota(session: AsyncSession, region_code: str = "KZ-55", year: int = 2026,
                       capacity: int | None = None, used: int | None = None) -> Quota:
    """The KANDAS quota of the region and year (created when missing), with capacity/used set if given."""
    rid = await region_id(session, region_code)
    quota = (await session.execute(
        select(Quota).where(Quota.kind == QuotaKind.KANDAS, Quota.year == year, Quota.region_id == rid)
    )).scalar_one_or_none()
    if quota is None:
        quota = Quota(kind=QuotaKind.KANDAS, year=year, region_id=rid, capacity=capacity or 0, used=used or 0)
        session.add(quota)
    if capacity is not None:
        quota.capacity = capacity
    if used is not None:
        quota.used = used
    await session.flush()
    return quota


async def labour_quota(session: AsyncSession, region_code: str, occupation_code: str, year: int = 2026,
                       capacity: int = 5, used: int = 0) -> Quota:
    rid = await region_id(session, region_code)
    oid = await occupation_id(session, occupation_code)
    quota = (await session.execute(
        select(Quota).where(Quota.kind == QuotaKind.LABOUR, Quota.year == year, Quota.region_id == rid,
                            Quota.occupation_id == oid)
    )).scalar_one_or_none()
    if quota is None:
        quota = Quota(kind=QuotaKind.LABOUR, year=year, region_id=rid, occupation_id=oid, capacity=capacity, used=used)
        session.add(quota)
    quota.capacity, quota.used = capacity, used
    await session.flush()
    return quota


async def make_application(
    session: AsyncSession,
    *,
    route: Route | str = Route.KANDAS,
    region_code: str = "KZ-55",
    status: ApplicationStatus | str = ApplicationStatus.SUBMITTED,
    submitted_at: dt.datetime | None = None,
    occupation_code: str | None = None,
    owner_subject: str | None = None,
    ethnic_kazakh: bool | None = None,
) -> Application:
    route = Route(route)
    n = next(_serial)
    submitted_at = submitted_at or BASE_SUBMITTED + dt.timedelta(minutes=n)
    applicant = Applicant(
        owner_subject=owner_subject, iin=None, full_name=f"Test Applicant {chr(65 + n % 26)}",
        birth_date=dt.date(1990, 1, 1) + dt.timedelta(days=n), sex=Sex.MALE if n % 2 else Sex.FEMALE,
        citizenship="UZB", ethnic_kazakh=route == Route.KANDAS if ethnic_kazakh is None else ethnic_kazakh,
        document_number=f"FA{n:08d}",
    )
    session.add(applicant)
    await session.flush()
    application = Application(
        number=await numbers.next_number(session, "RP", submitted_at.year),
        applicant_id=applicant.id, owner_subject=owner_subject, route=route,
        target_region_id=await region_id(session, region_code),
        occupation_id=await occupation_id(session, occupation_code) if occupation_code else None,
        status=ApplicationStatus(status), citizenship=applicant.citizenship,
        document_number=applicant.document_number, iin=None, submitted_at=submitted_at,
        due_date=submitted_at.date() + dt.timedelta(days=29),
    )
    application.search_key = search.search_key(number=application.number, full_name=applicant.full_name, iin=None,
                                               document_number=applicant.document_number)
    session.add(application)
    await session.flush()
    return application


async def add_questionnaire(session: AsyncSession, application: Application, *, family_size: int = 1,
                            savings: Decimal = Decimal("0.00")) -> Questionnaire:
    q = Questionnaire(
        application_id=application.id, education_level=EducationLevel.BACHELOR, work_experience_years=5,
        occupation_id=application.occupation_id, family_size=family_size, russian=Proficiency.FLUENT,
        english=Proficiency.BASIC, relatives_in_kazakhstan=True, prior_stay_in_kazakhstan=False,
        criminal_record=False, deported_before=False, savings=savings,
        submitted_at=application.submitted_at + dt.timedelta(days=1),
    )
    session.add(q)
    await session.flush()
    return q


async def add_score(session: AsyncSession, application: Application, *, total: int, passed: bool = True) -> Score:
    model = (await session.execute(select(ScoringModel).order_by(ScoringModel.id).limit(1))).scalar_one()
    result: dict[str, Any] = {"total": total, "maxTotal": MAX_TOTAL, "passMark": PASS_MARK, "passed": passed,
                              "gates": [], "breakdown": []}
    score = Score(application_id=application.id, scoring_model_id=model.id, model_version=model.version,
                  total=total, max_total=MAX_TOTAL, pass_mark=PASS_MARK, passed=passed, result=result,
                  **rendered_lines(result), computed_at=application.submitted_at + dt.timedelta(days=10))
    session.add(score)
    await session.flush()
    return score


async def make_passed_application(
    session: AsyncSession,
    *,
    route: Route | str = Route.KANDAS,
    region_code: str = "KZ-55",
    score: int = 500,
    family_size: int = 3,
    submitted_at: dt.datetime | None = None,
    status: ApplicationStatus | str = ApplicationStatus.PASSED,
    occupation_code: str | None = None,
    owner_subject: str | None = None,
) -> Application:
    """An application with a questionnaire and a score, in ``status`` (PASSED by default)."""
    application = await make_application(session, route=route, region_code=region_code, status=status,
                                         submitted_at=submitted_at, occupation_code=occupation_code,
                                         owner_subject=owner_subject)
    await add_questionnaire(session, application, family_size=family_size)
    await add_score(session, application, total=score, passed=score >= PASS_MARK)
    return application


async def make_approved_kandas(
    session: AsyncSession, *, region_code: str = "KZ-55", family_size: int = 3, score: int = 500,
    owner_subject: str | None = None, route: Route | str = Route.KANDAS, decided_at: dt.datetime | None = None,
    kandas_status: bool = True,
) -> Application:
    """An APPROVED application as a selection round leaves it (seats and quota booked, and on
    KANDAS the kandas status granted by ``services.kandas`` as the round grants it, unless
    ``kandas_status`` is false)."""
    application = await make_passed_application(session, route=route, region_code=region_code, score=score,
                                                family_size=family_size, owner_subject=owner_subject,
                                                status=ApplicationStatus.APPROVED)
    application.decided_at = decided_at or application.submitted_at + dt.timedelta(days=20)
    if Route(route) == Route.KANDAS:
        quota = await kandas_quota(session, region_code)
        quota.used += family_size
        application.seats, application.quota_id = family_size, quota.id
    await session.flush()
    if Route(route) == Route.KANDAS and kandas_status:
        await kandas.grant_for(session, SYSTEM, [application.id], today_almaty(application.decided_at))
    return application


async def make_contract(
    session: AsyncSession, *, start_date: dt.date = dt.date(2026, 3, 1), family_size: int = 3,
    region_code: str = "KZ-55", owner_subject: str | None = None,
) -> SocialContract:
    """An ACTIVE contract with an empty ledger, on a freshly approved KANDAS application."""
    application = await make_approved_kandas(session, region_code=region_code, family_size=family_size,
                                             owner_subject=owner_subject)
    contract = SocialContract(
        number=await numbers.next_number(session, "SC", start_date.year), application_id=application.id,
        region_id=application.target_region_id, family_size=family_size, start_date=start_date,
        end_date=add_years(start_date, 5), status=ContractStatus.ACTIVE, total_support=Decimal("0.00"),
    )
    session.add(contract)
    await session.flush()
    return contract


async def termination_rows(session: AsyncSession, contract_id: int) -> list[ContractTermination]:
    return list((await session.execute(
        select(ContractTermination).where(ContractTermination.contract_id == contract_id)
    )).scalars().all())
