"""Submitting an application (``submitApplication``): the applicant's details
checked by the input rules, the route's conditions (KANDAS: an ethnic Kazakh
settling in a labour-deficit region; LABOUR: an occupation on the target
region's deficit list), one undecided application per document and per IIN,
and the due date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, and_, bindparam, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.text import t
from models import Applicant, Application, DeficitOccupation, Occupation, Region
from models.base import today_almaty, utcnow
from models.enums import UNDECIDED_STATUSES, Route, Sex
from services import audit, numbers, rows, rules, search
from services.applications.common import require_person
from services.applications.status import S
from services.errors import ErrorCode, ErrorCollector
from services.inputs import occupation_by_code
from services.labour import permits
from services.rows import postgres_lock
from services.viewer import Viewer

DUE_DAYS = 29
APPS = Application.__table__
APPLICANTS = Applicant.__table__
REGIONS = Region.__table__

# Built once, their values bound at each execution (why: README, "Layout").
_REGION = select(*REGIONS.c).where(REGIONS.c.code == bindparam("code"))
_DEFICIT_LISTED = select(DeficitOccupation.id).where(
    DeficitOccupation.region_id == bindparam("region_id"), DeficitOccupation.occupation_id == bindparam("occupation_id"),
    DeficitOccupation.year == bindparam("year"))
_SAME_DOCUMENT = and_(Application.citizenship == bindparam("citizenship"),
                      Application.document_number == bindparam("document_number"))
_CLASHES = select(Application.number, Application.citizenship, Application.document_number, Application.iin).where(
    Application.status.in_(UNDECIDED_STATUSES))
_CLASHES_BY_DOCUMENT = _CLASHES.where(_SAME_DOCUMENT)
_CLASHES_BY_DOCUMENT_OR_IIN = _CLASHES.where(or_(_SAME_DOCUMENT, Application.iin == bindparam("iin")))
_EARLIER_RECORDS = select(*APPLICANTS.c).where(
    APPLICANTS.c.citizenship == bindparam("citizenship"), APPLICANTS.c.document_number == bindparam("document_number")
).order_by(APPLICANTS.c.id)
_EARLIER_RECORDS_WITHOUT_OWNER = _EARLIER_RECORDS.where(APPLICANTS.c.owner_subject.is_(None))
_EARLIER_RECORDS_OF_OWNER = _EARLIER_RECORDS.where(APPLICANTS.c.owner_subject == bindparam("owner"))
_NEW_APPLICANT = insert(APPLICANTS).returning(*APPLICANTS.c)
_NEW_APPLICATION = insert(APPS).returning(*APPS.c)


def due_date(submitted_on: dt.date) -> dt.date:
    """When an application submitted on ``submitted_on`` (Almaty) is due: ``DUE_DAYS`` later."""
    return submitted_on + dt.timedelta(days=DUE_DAYS)


def overdue_condition(today: dt.date | Any) -> Any:
    """The SQL condition "undecided and past its due date" on ``Application``;
    ``today`` is a date or a bound parameter standing for one."""
    return and_(Application.status.in_(UNDECIDED_STATUSES), Application.due_date < today)


@dataclass(frozen=True)
class ApplicantIn:
    full_name: str
    birth_date: dt.date
    sex: Sex
    citizenship: str
    ethnic_kazakh: bool
    document_number: str
    iin: str | None = None


async def submit_application(
    session: AsyncSession,
    viewer: Viewer,
    *,
    applicant: ApplicantIn,
    route: Route,
    target_region_code: str,
    occupation_code: str | None = None,
    permit_id: int | None = None,
) -> Row[Any]:
    """Returns the application's row as written (every column), which the answer is read from."""
    require_person(viewer, t("submit applications"))
    today = today_almaty()
    errors = ErrorCollector()
    p = ("input", "applicant")

    errors.invalid(rules.full_name_problem(applicant.full_name), *p, "fullName")
    birth_problem = rules.birth_date_problem(applicant.birth_date, today)
    errors.invalid(birth_problem, *p, "birthDate")
    iin = applicant.iin if applicant.iin not in (None, "") else None
    if iin is not None:
        errors.invalid(rules.iin_problem(iin, applicant.birth_date, applicant.sex), *p, "iin")
    citizenship = applicant.citizenship.strip().upper()
    errors.invalid(rules.citizenship_problem(citizenship), *p, "citizenship")
    errors.invalid(rules.document_number_problem(applicant.document_number), *p, "documentNumber")
    document_number = rules.normalise_document_number(applicant.document_number)

    conn = await session.connection()  # Core statements on it: no ORM object, nothing to flush
    code = rules.normalise_region_code(target_region_code)
    region = (await conn.execute(_REGION, {"code": code})).first()
    if region is None:
        errors.invalid(t("{code} is not a region code (ISO 3166-2:KZ, e.g. KZ-55).", code=code) if code else
                       t("an empty code is not a region code (ISO 3166-2:KZ, e.g. KZ-55)."), "input", "targetRegionCode")
    occupation = await occupation_by_code(session, occupation_code, errors, "input", "occupationCode")

    if route == Route.KANDAS:
        if not applicant.ethnic_kazakh:
            errors.invalid(t("The KANDAS route is for ethnic Kazakhs (ethnicKazakh must be true); "
                             "others apply on the GENERAL or LABOUR route."), *p, "ethnicKazakh")
        if region is not None and not region.labour_deficit:
            deficit = (await session.execute(
                select(Region.code).where(Region.labour_deficit.is_(True)).order_by(Region.code))).scalars().all()
            errors.invalid(t("KANDAS applicants settle in a labour-deficit region ({regions}); {region} is not one.",
                             regions=", ".join(deficit), region=region.code), "input", "targetRegionCode")
    elif route == Route.LABOUR and permit_id is not None:
        # A LABOUR application naming an approved work permit (SPEC §15): the permit's
        # rules (the deficit list among them) stand; the application follows its occupation.
        if region is not None and (occupation is not None or occupation_code is None):
            permit = await permits.permit_for_application(
                session, permit_id, region_id=region.id, occupation_id=occupation.id if occupation else None)
            occupation = occupation or await session.get(Occupation, permit.occupation_id)
    elif route == Route.LABOUR:
        if occupation_code is None:
            errors.invalid(t("LABOUR applications need the occupation code of the job (ISCO-08)."),
                           "input", "occupationCode")
        elif occupation is not None and region is not None:
            listed = (await conn.execute(_DEFICIT_LISTED, {
                "region_id": region.id, "occupation_id": occupation.id, "year": today.year})).first()
            if listed is None:
                errors.invalid(t("Occupation {occupation} is not on the deficit list of {region} for {year}; LABOUR "
                                 "applications need an occupation in deficit.", occupation=occupation.code,
                                 region=region.code, year=today.year),
                               "input", "occupationCode")
    if permit_id is not None and route != Route.LABOUR:
        errors.invalid(t("only a LABOUR application names a work permit"), "input", "permitId")
    errors.raise_if_any()
    assert region is not None

    by_document, by_iin = await undecided_twins(session, citizenship, document_number, iin)
    dup = ErrorCollector()
    if by_document:
        dup.add(ErrorCode.DUPLICATE, t("This document is already used in another application that is not decided yet."),
                *p, "documentNumber")
    if by_iin:
        dup.add(ErrorCode.DUPLICATE, t("This IIN is already used in another application that is not decided yet."),
                *p, "iin")
    dup.raise_if_any()

    owner = viewer.subject if viewer.is_applicant else None
    full_name = rules.normalise_full_name(applicant.full_name)
    person = await _reuse_applicant(session, owner, full_name, applicant, citizenship, document_number, iin)
    now = utcnow()
    if person is None:
        person = (await conn.execute(_NEW_APPLICANT, dict(
            owner_subject=owner, iin=iin, full_name=full_name, birth_date=applicant.birth_date, sex=applicant.sex,
            citizenship=citizenship, ethnic_kazakh=applicant.ethnic_kazakh, document_number=document_number,
            created_at=now))).one()
        await audit.record_many(session, viewer, "applicant.create", "applicant", [(person.id, {
            "fullName": full_name, "birthDate": applicant.birth_date, "sex": applicant.sex,
            "citizenship": citizenship, "ethnicKazakh": applicant.ethnic_kazakh,
            "documentNumber": document_number, "iin": iin, "ownerSubject": owner})])

    number = await numbers.next_number(session, "RP", today.year)
    due = due_date(today)
    app = (await conn.execute(_NEW_APPLICATION, dict(
        number=number, applicant_id=person.id, owner_subject=owner, route=route, target_region_id=region.id,
        occupation_id=occupation.id if occupation else None, status=S.SUBMITTED, citizenship=citizenship,
        document_number=document_number, iin=iin, submitted_at=now, permit_id=permit_id,
        due_date=due, updated_at=now,
        search_key=search.search_key(number=number, full_name=full_name, iin=iin, document_number=document_number),
    ))).one()
    await audit.record_many(session, viewer, "application.submit", "application", [(app.id, {
        "number": number, "applicantId": person.id, "route": route, "targetRegion": region.code,
        "occupation": occupation.code if occupation else None, "status": S.SUBMITTED,
        **({"permitId": permit_id} if permit_id is not None else {}),
        "dueDate": due, "ownerSubject": owner})])
    # The answer is read from these rows: the application, its applicant and its region.
    rows.known(session, Applicant, person)
    rows.known(session, Region, region)
    return rows.known(session, Application, app)


async def undecided_twins(session: AsyncSession, citizenship: str, document_number: str,
                          iin: str | None) -> tuple[list[str], list[str]]:
    """Anti-fraud (SPEC §8): one undecided application per document and per IIN. The
    numbers of the undecided applications holding this document, and those holding
    this IIN, read under the locks of both, so that two writers cannot both find
    none: a submission, and a review that makes a rejected application undecided again."""
    await postgres_lock(session, f"doc:{citizenship}:{document_number}", *([f"iin:{iin}"] if iin else []))
    clashes = (await (await session.connection()).execute(
        _CLASHES_BY_DOCUMENT_OR_IIN if iin else _CLASHES_BY_DOCUMENT,
        {"citizenship": citizenship, "document_number": document_number, "iin": iin})).all()
    return ([n for n, c, d, _ in clashes if c == citizenship and d == document_number],
            [n for n, _, _, i in clashes if iin and i == iin])


async def _reuse_applicant(
    session: AsyncSession, owner: str | None, full_name: str, a: ApplicantIn, citizenship: str,
    document_number: str, iin: str | None,
) -> Row[Any] | None:
    """The same person's earlier record (same owner, document and every detail), so
    that ``applicant.applications`` lists a re-application after a withdrawal or a
    refusal. A record with any detail changed is never overwritten: a new one is made."""
    found = (await (await session.connection()).execute(
        _EARLIER_RECORDS_WITHOUT_OWNER if owner is None else _EARLIER_RECORDS_OF_OWNER,
        {"citizenship": citizenship, "document_number": document_number, "owner": owner})).all()
    wanted = (full_name, a.birth_date, a.sex, a.ethnic_kazakh, iin)
    return next((r for r in found if (r.full_name, r.birth_date, r.sex, r.ethnic_kazakh, r.iin) == wanted), None)
