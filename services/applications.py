"""The application pipeline (SPEC §2, §4, §7, §8): submission, the four stages
(language test, questionnaire, checks, interview), scoring, decisions and
withdrawal.

Every function is ``fn(session, viewer, *, ...)``: it writes in the caller's
transaction, records an audit event for every write, and raises
``ServiceError`` (nothing written, since the caller rolls back) on a request it
refuses. Input problems are collected and reported together.

The status machine lives in one place: ``ALLOWED_FROM`` (which states each
action may start from) and ``LEADS_TO`` (which states it may end in);
``require_status`` and ``move`` are the only code that reads or changes
``Application.status`` here (``scoring_models.store_scores`` sets PASSED/FAILED,
for ``scoreApplication`` through ``store_score`` and for re-scoring, which this
table allows).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Applicant,
    Application,
    Check,
    CheckType,
    DeficitOccupation,
    FamilyMember,
    Interview,
    LanguageTest,
    Occupation,
    Questionnaire,
    Region,
    Score,
)
from models.base import today_almaty, utcnow
from models.enums import (
    UNDECIDED_STATUSES,
    ApplicationStatus,
    CheckStatus,
    Decision,
    DecisionOutcome,
    EducationLevel,
    FamilyRelation,
    InterviewOutcome,
    LanguageLevel,
    Proficiency,
    Route,
    Sex,
)
from services import access, audit, decisions, facts, numbers, quotas, rules, scoring_models, search
from services.errors import ErrorCode, ErrorCollector, ServiceError, forbidden, invalid, invalid_state, not_found
from services.viewer import Viewer

S = ApplicationStatus

DUE_DAYS = 29
REASON_MAX = decisions.REASON_MAX
NOTES_MAX = 2000
DETAILS_MAX = 2000

APPLICATION_ID = ("input", "applicationId")
CHECK_ID = ("input", "checkId")


def due_date(submitted_on: dt.date) -> dt.date:
    """When an application submitted on ``submitted_on`` (Almaty) is due: ``DUE_DAYS`` later."""
    return submitted_on + dt.timedelta(days=DUE_DAYS)


def overdue_condition(today: dt.date | Any) -> Any:
    """The SQL condition "undecided and past its due date" on ``Application``;
    ``today`` is a date or a bound parameter standing for one."""
    return and_(Application.status.in_(UNDECIDED_STATUSES), Application.due_date < today)


# ---------------------------------------------------------------- the status machine

# The states each action may start from. Everything else is INVALID_STATE.
ALLOWED_FROM: dict[str, tuple[ApplicationStatus, ...]] = {
    "recordLanguageTest": UNDECIDED_STATUSES,
    "submitQuestionnaire": UNDECIDED_STATUSES,
    "requestChecks": UNDECIDED_STATUSES,
    "recordCheckResult": UNDECIDED_STATUSES,
    "scheduleInterview": UNDECIDED_STATUSES,
    "recordInterviewOutcome": UNDECIDED_STATUSES,
    "scoreApplication": UNDECIDED_STATUSES,
    "decideApplication(APPROVE)": (S.PASSED,),
    "decideApplication(REJECT)": UNDECIDED_STATUSES,
    "runSelectionRound": (S.PASSED,),
    "withdrawApplication": UNDECIDED_STATUSES,
    # not a mutation: a stage write that changes a fact of a scored application (see mark_score_stale)
    "factsChanged": (S.PASSED, S.FAILED),
}

# The states an action may move an application to (actions not listed keep the status).
LEADS_TO: dict[str, tuple[ApplicationStatus, ...]] = {
    "scoreApplication": (S.PASSED, S.FAILED),
    "decideApplication(APPROVE)": (S.APPROVED,),
    "decideApplication(REJECT)": (S.REJECTED,),
    "runSelectionRound": (S.APPROVED,),
    "withdrawApplication": (S.WITHDRAWN,),
    "factsChanged": (S.SUBMITTED,),
}


def _or_list(states: Sequence[ApplicationStatus]) -> str:
    names = [s.value for s in states]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _label(action: str) -> str:
    return action.replace("(", " (") if "(" in action else action


def require_status(app: Application, action: str, *field: str) -> None:
    """INVALID_STATE naming the state(s) that allow ``action`` unless ``app`` is in one."""
    allowed = ALLOWED_FROM[action]
    if app.status not in allowed:
        raise invalid_state(
            f"{_label(action)} needs the application to be {_or_list(allowed)}; it is {app.status.value}",
            *(field or APPLICATION_ID),
        )


def moved_to(status: ApplicationStatus, action: str, to: ApplicationStatus | None = None) -> ApplicationStatus:
    """Where ``action`` takes an application in ``status``: ``to`` (left out: the one state
    the action leads to), checked against the table. A move the table does not allow is
    a programming error, not a user's (a request is checked with :func:`require_status`)."""
    leads = LEADS_TO.get(action, ())
    if to is None and len(leads) == 1:
        to = leads[0]
    if status not in ALLOWED_FROM[action] or to not in leads:
        raise AssertionError(f"{action} never leads from {status.value} to {to.value if to else 'one state'}")
    return to


def move(app: Application, action: str, to: ApplicationStatus, now: dt.datetime) -> ApplicationStatus:
    """Change the status along an allowed transition; returns the old status."""
    require_status(app, action)
    old = app.status
    app.status = moved_to(old, action, to)
    app.updated_at = now
    return old


# ---------------------------------------------------------------- shared helpers


def _require_staff(viewer: Viewer, what: str) -> None:
    if not viewer.is_staff:
        raise forbidden(f"only officers and administrators may {what}")


def _require_person(viewer: Viewer, what: str) -> None:
    """Applicants (for their own) and staff."""
    if not (viewer.is_staff or (viewer.is_applicant and viewer.subject)):
        raise forbidden(f"only applicants and officers may {what}")


async def _postgres_lock(session: AsyncSession, *keys: str) -> None:
    """Serialise transactions that look for the same anti-fraud keys (PostgreSQL;
    on SQLite every writer already holds the database's write lock)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(set(keys)):
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": key})


async def load_application(
    session: AsyncSession, viewer: Viewer, application_id: int, *, field: Sequence[str] = APPLICATION_ID
) -> Application:
    """The application, locked for this transaction; NOT_FOUND when it does not
    exist or the viewer may not see it (the same answer for both)."""
    app = (await session.execute(
        select(Application).where(Application.id == application_id, access.applications(viewer))
        .with_for_update()
    )).scalar_one_or_none()
    if app is None:
        raise not_found("application", *field)
    return app


def _reason(reason: str | None, errors: ErrorCollector, *field: str, required: str | None = None) -> str | None:
    """The reason, stripped (None when blank). ``required`` is the message when a
    blank reason is not allowed (a refusal is an administrative act: it is reasoned)."""
    reason = (reason or "").strip()
    if not reason:
        errors.invalid(required, *field)
        return None
    if len(reason) > REASON_MAX:
        errors.invalid(f"The reason must be at most {REASON_MAX} characters (got {len(reason)}).", *field)
    return reason


async def _occupation(session: AsyncSession, code: str | None, errors: ErrorCollector, *field: str) -> Occupation | None:
    if code is None:
        return None
    code = code.strip()
    problem = rules.occupation_code_problem(code)
    if problem:
        errors.invalid(problem, *field)
        return None
    occupation = (await session.execute(select(Occupation).where(Occupation.code == code))).scalar_one_or_none()
    if occupation is None:
        errors.invalid(f"{code} is not a known ISCO-08 occupation code.", *field)
    return occupation


# ---------------------------------------------------------------- submitApplication


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
) -> Application:
    _require_person(viewer, "submit applications")
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

    code = target_region_code.strip().upper()
    region = (await session.execute(select(Region).where(Region.code == code))).scalar_one_or_none()
    if region is None:
        errors.invalid(f"{code or 'an empty code'} is not a region code (ISO 3166-2:KZ, e.g. KZ-55).",
                       "input", "targetRegionCode")
    occupation = await _occupation(session, occupation_code, errors, "input", "occupationCode")

    if route == Route.KANDAS:
        if not applicant.ethnic_kazakh:
            errors.invalid("The KANDAS route is for ethnic Kazakhs (ethnicKazakh must be true); "
                           "others apply on the GENERAL or LABOUR route.", *p, "ethnicKazakh")
        if region is not None and not region.labour_deficit:
            deficit = (await session.execute(
                select(Region.code).where(Region.labour_deficit.is_(True)).order_by(Region.code))).scalars().all()
            errors.invalid(f"KANDAS applicants settle in a labour-deficit region ({', '.join(deficit)}); "
                           f"{region.code} is not one.", "input", "targetRegionCode")
    elif route == Route.LABOUR:
        if occupation_code is None:
            errors.invalid("LABOUR applications need the occupation code of the job (ISCO-08).",
                           "input", "occupationCode")
        elif occupation is not None and region is not None:
            listed = (await session.execute(
                select(DeficitOccupation.id).where(DeficitOccupation.region_id == region.id,
                                                   DeficitOccupation.occupation_id == occupation.id,
                                                   DeficitOccupation.year == today.year)
            )).first()
            if listed is None:
                errors.invalid(f"Occupation {occupation.code} is not on the deficit list of {region.code} "
                               f"for {today.year}; LABOUR applications need an occupation in deficit.",
                               "input", "occupationCode")
    errors.raise_if_any()
    assert region is not None

    # Anti-fraud: one undecided application per document and per IIN.
    await _postgres_lock(session, f"doc:{citizenship}:{document_number}", *([f"iin:{iin}"] if iin else []))
    same_doc = and_(Application.citizenship == citizenship, Application.document_number == document_number)
    clashes = (await session.execute(
        select(Application.citizenship, Application.document_number, Application.iin)
        .where(Application.status.in_(UNDECIDED_STATUSES),
               or_(same_doc, Application.iin == iin) if iin else same_doc)
    )).all()
    dup = ErrorCollector()
    if any(c == citizenship and d == document_number for c, d, _ in clashes):
        dup.add(ErrorCode.DUPLICATE, "This document is already used in another application that is not decided yet.",
                *p, "documentNumber")
    if iin and any(i == iin for _, _, i in clashes):
        dup.add(ErrorCode.DUPLICATE, "This IIN is already used in another application that is not decided yet.",
                *p, "iin")
    dup.raise_if_any()

    owner = viewer.subject if viewer.is_applicant else None
    full_name = rules.normalise_full_name(applicant.full_name)
    person = await _reuse_applicant(session, owner, full_name, applicant, citizenship, document_number, iin)
    now = utcnow()
    if person is None:
        person = Applicant(owner_subject=owner, iin=iin, full_name=full_name, birth_date=applicant.birth_date,
                           sex=applicant.sex, citizenship=citizenship, ethnic_kazakh=applicant.ethnic_kazakh,
                           document_number=document_number, created_at=now)
        session.add(person)
        await session.flush()
        await audit.record(session, viewer, "applicant.create", "applicant", person.id, {
            "fullName": full_name, "birthDate": applicant.birth_date, "sex": applicant.sex,
            "citizenship": citizenship, "ethnicKazakh": applicant.ethnic_kazakh,
            "documentNumber": document_number, "iin": iin, "ownerSubject": owner})

    number = await numbers.next_number(session, "RP", today.year)
    app = Application(
        number=number, applicant_id=person.id, owner_subject=owner, route=route, target_region_id=region.id,
        occupation_id=occupation.id if occupation else None, status=S.SUBMITTED, citizenship=citizenship,
        document_number=document_number, iin=iin, submitted_at=now,
        due_date=due_date(today), updated_at=now,
        search_key=search.search_key(number=number, full_name=full_name, iin=iin, document_number=document_number),
    )
    session.add(app)
    await session.flush()
    await audit.record(session, viewer, "application.submit", "application", app.id, {
        "number": number, "applicantId": person.id, "route": route, "targetRegion": region.code,
        "occupation": occupation.code if occupation else None, "status": S.SUBMITTED,
        "dueDate": app.due_date, "ownerSubject": owner})
    return app


async def _reuse_applicant(
    session: AsyncSession, owner: str | None, full_name: str, a: ApplicantIn, citizenship: str,
    document_number: str, iin: str | None,
) -> Applicant | None:
    """The same person's earlier record (same owner, document and every detail), so
    that ``applicant.applications`` lists a re-application after a withdrawal or a
    refusal. A record with any detail changed is never overwritten: a new one is made."""
    same_owner = Applicant.owner_subject.is_(None) if owner is None else Applicant.owner_subject == owner
    rows = (await session.execute(
        select(Applicant).where(Applicant.citizenship == citizenship, Applicant.document_number == document_number,
                                same_owner).order_by(Applicant.id)
    )).scalars().all()
    wanted = (full_name, a.birth_date, a.sex, a.ethnic_kazakh, iin)
    return next((r for r in rows if (r.full_name, r.birth_date, r.sex, r.ethnic_kazakh, r.iin) == wanted), None)


# ---------------------------------------------------------------- a stale score


async def facts_before_write(session: AsyncSession, app: Application) -> dict[str, Any] | None:
    """The facts of a scored, undecided application, taken before a stage write
    that may change them (None when the application is not PASSED or FAILED).
    Call it before changing any row, then :func:`mark_score_stale`."""
    if app.status not in scoring_models.SCORED_UNDECIDED:
        return None
    return (await facts.gather(session, [app.id], today_almaty())).get(app.id)


async def mark_score_stale(session: AsyncSession, viewer: Viewer, app: Application,
                           before: dict[str, Any] | None) -> None:
    """After a stage write (flushed): when a fact the score was computed from has
    changed (``services.facts`` gives other values than ``before``), the score is
    marked stale and the application goes back to SUBMITTED, in the caller's
    transaction, with an ``application.score_stale`` audit event naming the facts.
    A write that changes no fact (the same answers again, notes, details, a
    certificate number) leaves the score as it is.

    Why back to SUBMITTED rather than re-scored in the same transaction:

    - it is true. PASSED and FAILED say "scored on the facts on file"; after the
      change neither is, until someone scores again. The old score stays readable
      (``stale: true``) so the officer still sees what it was and why;
    - it is safe. A selection round and an approval take only PASSED applications,
      so nothing is approved on a score that no longer holds, and a FAILED one does
      not look final while its facts are being corrected;
    - an officer corrects several facts in a row (the questionnaire, then the
      interview points); re-scoring after each would write intermediate scores and
      status flips that the applicant sees and the audit keeps. The officer scores
      once, with ``scoreApplication``, when the corrections are done;
    - re-scoring needs every stage complete, which a write may undo (a check
      requested after a new check type was activated is REQUESTED until its agency
      answers): the write would have to be refused or the status would lie;
    - a partner agency recording a check result must not move an applicant
      between PASSED and FAILED; a score is computed where it is explained, by
      ``scoreApplication`` (or a new model's re-scoring)."""
    if before is None:
        return
    after = (await facts.gather(session, [app.id], today_almaty())).get(app.id, {})
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    if not changed:
        return
    score = (await session.execute(select(Score).where(Score.application_id == app.id))).scalar_one()
    score.stale = True
    old = move(app, "factsChanged", S.SUBMITTED, utcnow())
    await session.flush()
    await audit.record(session, viewer, "application.score_stale", "application", app.id, {
        "status": [old, S.SUBMITTED], "changedFacts": changed,
        "score": {"modelVersion": score.model_version, "total": score.total, "passed": score.passed}})


# ---------------------------------------------------------------- stage 1: the language test


async def record_language_test(
    session: AsyncSession,
    viewer: Viewer,
    *,
    application_id: int,
    level: LanguageLevel,
    listening_percent: int,
    reading_percent: int,
    certificate_number: str,
    taken_on: dt.date,
) -> Application:
    _require_staff(viewer, "record language tests")
    app = await load_application(session, viewer, application_id)
    require_status(app, "recordLanguageTest")
    errors = ErrorCollector()
    errors.invalid(rules.percent_problem(listening_percent), "input", "listeningPercent")
    errors.invalid(rules.percent_problem(reading_percent), "input", "readingPercent")
    certificate = rules.normalise_certificate_number(certificate_number)
    errors.invalid(rules.certificate_number_problem(certificate), "input", "certificateNumber")
    errors.invalid(rules.test_date_problem(taken_on, today_almaty()), "input", "takenOn")
    errors.raise_if_any()

    await _postgres_lock(session, f"certificate:{certificate}")
    other = (await session.execute(
        select(LanguageTest.application_id, Application.applicant_id)
        .join(Application, Application.id == LanguageTest.application_id)
        .where(LanguageTest.certificate_number == certificate, LanguageTest.application_id != app.id)
    )).first()
    if other is not None:
        if other.applicant_id != app.applicant_id:
            message = "This certificate number is already recorded for another applicant; one certificate serves one applicant."
        else:
            message = "This certificate number is already recorded on another application of the same applicant."
        raise ServiceError.one(ErrorCode.DUPLICATE, message, ["input", "certificateNumber"])

    before = await facts_before_write(session, app)
    now = utcnow()
    values = {"level": level, "listening_percent": listening_percent, "reading_percent": reading_percent,
              "certificate_number": certificate, "taken_on": taken_on}
    test = (await session.execute(select(LanguageTest).where(LanguageTest.application_id == app.id))).scalar_one_or_none()
    previous = None
    if test is None:
        test = LanguageTest(application_id=app.id, recorded_at=now, **values)
        session.add(test)
    else:
        previous = {k: getattr(test, k) for k in values}
        for k, v in values.items():
            setattr(test, k, v)
        test.recorded_at = now
    app.updated_at = now
    try:
        await session.flush()
    except IntegrityError:  # a concurrent transaction took the certificate first
        raise ServiceError.one(ErrorCode.DUPLICATE, "This certificate number is already recorded for another applicant.",
                               ["input", "certificateNumber"]) from None
    await audit.record(session, viewer, "application.language_test", "application", app.id,
                       {"languageTest": values, "previous": previous})
    await mark_score_stale(session, viewer, app, before)
    return app


# ---------------------------------------------------------------- stage 2: the questionnaire


@dataclass(frozen=True)
class FamilyMemberIn:
    full_name: str
    birth_date: dt.date
    sex: Sex
    relation: FamilyRelation
    document_number: str
    iin: str | None = None


# The principal applicant counts: a family of at most 20 lists at most 19 members.
FAMILY_MEMBERS_MAX = 19


def _family_members(
    members: Sequence[FamilyMemberIn], principal: Applicant, today: dt.date, errors: ErrorCollector
) -> list[dict[str, Any]]:
    """The members as rows to store, each checked by the input rules of SPEC §8 (name,
    birth date not in the future, document number, and the IIN with its check digit and
    its agreement with birth date and sex when one is given). One person is listed once:
    a document number or IIN that is the principal's or another member's is DUPLICATE."""
    base = ("input", "familyMembers")
    if len(members) > FAMILY_MEMBERS_MAX:
        errors.invalid(f"A family has at most 20 people: the applicant and at most {FAMILY_MEMBERS_MAX} members "
                       f"(got {len(members)} members).", *base)
        return []
    seen_documents = {principal.document_number: "the applicant's"}
    seen_iins = {principal.iin: "the applicant's"} if principal.iin else {}
    rows: list[dict[str, Any]] = []
    for index, member in enumerate(members):
        path = (*base, str(index))
        errors.invalid(rules.full_name_problem(member.full_name), *path, "fullName")
        errors.invalid(rules.birth_date_problem(member.birth_date, today, min_age=0), *path, "birthDate")
        document_problem = rules.document_number_problem(member.document_number)
        errors.invalid(document_problem, *path, "documentNumber")
        document = rules.normalise_document_number(member.document_number) if document_problem is None else None
        if document is not None:
            if document in seen_documents:
                errors.add(ErrorCode.DUPLICATE, f"This document number is already {seen_documents[document]}; "
                           "each person of the family is listed once.", *path, "documentNumber")
            seen_documents.setdefault(document, f"member {index + 1}'s")
        iin = member.iin if member.iin not in (None, "") else None
        if iin is not None:
            iin_problem = rules.iin_problem(iin, member.birth_date, member.sex)
            errors.invalid(iin_problem, *path, "iin")
            if iin_problem is None:
                if iin in seen_iins:
                    errors.add(ErrorCode.DUPLICATE, f"This IIN is already {seen_iins[iin]}; "
                               "each person of the family is listed once.", *path, "iin")
                seen_iins.setdefault(iin, f"member {index + 1}'s")
        rows.append({
            "position": index + 1, "full_name": rules.normalise_full_name(member.full_name)
            if isinstance(member.full_name, str) else member.full_name,
            "birth_date": member.birth_date, "sex": Sex(member.sex), "relation": FamilyRelation(member.relation),
            "document_number": document, "iin": iin,
        })
    return rows


async def submit_questionnaire(
    session: AsyncSession,
    viewer: Viewer,
    *,
    application_id: int,
    education_level: EducationLevel,
    work_experience_years: int,
    occupation_code: str | None,
    family_size: int | None,
    russian: Proficiency,
    english: Proficiency,
    relatives_in_kazakhstan: bool,
    prior_stay_in_kazakhstan: bool,
    criminal_record: bool,
    deported_before: bool,
    savings: Decimal,
    family_members: Sequence[FamilyMemberIn] | None = None,
) -> Application:
    """The questionnaire, replaced as a whole.

    The family: ``family_members`` (when given, even empty) replaces the members on
    record, and ``family_size`` is then 1 (the applicant) + their number: derived when
    left out, ``INVALID_INPUT`` when it says otherwise. Left out (``None``), the members
    on record stay, and ``family_size`` must count them; an application without member
    records keeps a family size as a bare count (the contract's clients send only that)."""
    _require_person(viewer, "submit questionnaires")
    app = await load_application(session, viewer, application_id)
    require_status(app, "submitQuestionnaire")
    if not viewer.is_staff:
        scored = (await session.execute(select(Score.id).where(Score.application_id == app.id))).first()
        if app.status != S.SUBMITTED or scored is not None:
            raise invalid_state("the applicant may change the questionnaire only before scoring; "
                                "the application has been scored, so ask an officer", *APPLICATION_ID)
    has_test = (await session.execute(select(LanguageTest.id).where(LanguageTest.application_id == app.id))).first()
    if has_test is None:
        raise invalid_state("the questionnaire opens only after the language test is recorded", *APPLICATION_ID)

    errors = ErrorCollector()
    errors.invalid(rules.work_experience_problem(work_experience_years), "input", "workExperienceYears")
    errors.invalid(rules.savings_problem(savings), "input", "savings")
    occupation = await _occupation(session, occupation_code, errors, "input", "occupationCode")
    member_rows: list[dict[str, Any]] | None = None
    if family_members is not None:
        principal = (await session.execute(select(Applicant).where(Applicant.id == app.applicant_id))).scalar_one()
        member_rows = _family_members(family_members, principal, today_almaty(), errors)
        counted: int | None = 1 + len(family_members)
        how = f"the applicant and the {len(family_members)} member(s) listed in familyMembers"
    else:
        on_record = (await session.execute(
            select(func.count()).select_from(FamilyMember).where(FamilyMember.application_id == app.id)
        )).scalar_one()
        counted = 1 + on_record if on_record else None
        how = (f"the applicant and the {on_record} family member(s) on record "
               "(send familyMembers to change them)")
    if counted is not None and len(family_members or ()) <= FAMILY_MEMBERS_MAX:
        if family_size is None:
            family_size = counted
        elif rules.family_size_problem(family_size) is None and family_size != counted:
            errors.invalid(f"The family size counts {how}: {counted} (got {family_size}).", "input", "familySize")
    if family_size is None:
        if counted is None:
            errors.invalid("Give familySize, or list the family in familyMembers.", "input", "familySize")
    else:
        errors.invalid(rules.family_size_problem(family_size), "input", "familySize")
    if app.route == Route.LABOUR:
        occupation = await _labour_occupation(session, app, occupation_code, occupation, errors)
    errors.raise_if_any()
    assert family_size is not None

    before = await facts_before_write(session, app)
    now = utcnow()
    values: dict[str, Any] = {
        "education_level": education_level, "work_experience_years": work_experience_years,
        "occupation_id": occupation.id if occupation else None, "family_size": family_size,
        "russian": russian, "english": english, "relatives_in_kazakhstan": relatives_in_kazakhstan,
        "prior_stay_in_kazakhstan": prior_stay_in_kazakhstan, "criminal_record": criminal_record,
        "deported_before": deported_before, "savings": Decimal(savings),
    }
    q = (await session.execute(select(Questionnaire).where(Questionnaire.application_id == app.id))).scalar_one_or_none()
    previous = None
    if q is None:
        q = Questionnaire(application_id=app.id, submitted_at=now, **values)
        session.add(q)
    else:
        previous = {k: getattr(q, k) for k in values}
        for k, v in values.items():
            setattr(q, k, v)
        q.submitted_at = now
    changes: dict[str, Any] = {"questionnaire": {**values, "occupation": occupation.code if occupation else None},
                               "previous": previous}
    if member_rows is not None:
        old_members = (await session.execute(
            select(FamilyMember).where(FamilyMember.application_id == app.id).order_by(FamilyMember.position)
        )).scalars().all()
        changes["familyMembers"] = [_member_audit(r) for r in member_rows]
        if old_members:
            changes["previousFamilyMembers"] = [_member_audit(vars(r)) for r in old_members]
        await session.execute(delete(FamilyMember).where(FamilyMember.application_id == app.id))
        session.add_all(FamilyMember(application_id=app.id, **r) for r in member_rows)
    app.updated_at = now
    await session.flush()
    await audit.record(session, viewer, "application.questionnaire", "application", app.id, changes)
    await mark_score_stale(session, viewer, app, before)
    return app


def _member_audit(row: dict[str, Any]) -> dict[str, Any]:
    return {"position": row["position"], "fullName": row["full_name"], "birthDate": row["birth_date"],
            "sex": row["sex"], "relation": row["relation"], "documentNumber": row["document_number"],
            "iin": row["iin"]}


async def _labour_occupation(session: AsyncSession, app: Application, code: str | None,
                             named: Occupation | None, errors: ErrorCollector) -> Occupation | None:
    """The questionnaire's occupation on a LABOUR application: the application's own.

    A LABOUR application is judged on one occupation, the one it was submitted for
    (the target region's deficit list was checked against it, and its approval takes
    a seat of that occupation's quota); the questionnaire's ``occupationInDeficit``
    fact must not be scored on another. So the questionnaire names the same code, or
    leaves it out and takes it from the application; another code is INVALID_INPUT."""
    applied = await session.get(Occupation, app.occupation_id) if app.occupation_id is not None else None
    if code is None:
        return applied
    if named is not None and applied is not None and named.id != applied.id:
        errors.invalid(f"This LABOUR application is for occupation {applied.code}; the questionnaire must name "
                       f"the same occupation (or leave occupationCode out to take it from the application), "
                       f"not {named.code}.", "input", "occupationCode")
    return named


# ---------------------------------------------------------------- stage 3: checks


async def request_checks(session: AsyncSession, viewer: Viewer, *, application_id: int) -> Application:
    _require_staff(viewer, "request checks")
    app = await load_application(session, viewer, application_id)
    require_status(app, "requestChecks")
    existing = set((await session.execute(
        select(Check.check_type_id).where(Check.application_id == app.id))).scalars().all())
    types = (await session.execute(
        select(CheckType).where(CheckType.active.is_(True)).order_by(CheckType.id))).scalars().all()
    missing = [t for t in types if t.id not in existing]
    if not missing:
        return app
    before = await facts_before_write(session, app)
    now = utcnow()
    for t in missing:
        session.add(Check(application_id=app.id, check_type_id=t.id, status=CheckStatus.REQUESTED,
                          requested_at=now, updated_at=now))
    app.updated_at = now
    await session.flush()
    await audit.record(session, viewer, "application.request_checks", "application", app.id,
                       {"requested": [t.code for t in missing]})
    await mark_score_stale(session, viewer, app, before)
    return app


async def record_check_result(
    session: AsyncSession, viewer: Viewer, *, check_id: int, status: CheckStatus, details: str | None = None
) -> Check:
    if not (viewer.is_staff or viewer.is_agency):
        raise forbidden("only officers, administrators and the agency that owns the check type may record check results")
    found = (await session.execute(
        select(Check.application_id, Check.check_type_id).where(Check.id == check_id, access.checks(viewer))
    )).first()
    if found is None:  # missing, or not readable by this agency: the same answer
        raise not_found("check", *CHECK_ID)
    if viewer.is_agency and found.check_type_id not in viewer.owned_check_type_ids:
        raise forbidden("your agency may read this check but only the agency that owns its type records the result",
                        *CHECK_ID)
    # Lock the application first, then the check: the order every pipeline write takes.
    app = (await session.execute(
        select(Application).where(Application.id == found.application_id).with_for_update())).scalar_one()
    check = (await session.execute(select(Check).where(Check.id == check_id).with_for_update())).scalar_one()
    require_status(app, "recordCheckResult", *CHECK_ID)
    if check.status == CheckStatus.CANCELLED:  # cancelled when the application was decided or withdrawn
        raise invalid_state("this check was cancelled when its application was decided or withdrawn; "
                            "it takes no result", *CHECK_ID)
    errors = ErrorCollector()
    if status in (CheckStatus.REQUESTED, CheckStatus.CANCELLED):
        errors.invalid(f"A result is CLEARED, FLAGGED or REJECTED; {CheckStatus(status).value} is not a result.",
                       "input", "status")
    if details is not None:
        details = details.strip() or None
        if details is not None and len(details) > DETAILS_MAX:
            errors.invalid(f"Details must be at most {DETAILS_MAX} characters (got {len(details)}).", "input", "details")
    errors.raise_if_any()

    before = await facts_before_write(session, app)
    now = rules.moved_forward(utcnow(), check.updated_at)
    previous = {"status": check.status, "details": check.details, "completedAt": check.completed_at,
                "recordedBy": check.recorded_by}
    check.status = status
    check.details = details
    check.completed_at = now
    check.updated_at = now
    check.recorded_by = viewer.audit_subject
    app.updated_at = max(now, app.updated_at)
    await session.flush()
    check_type = await session.get(CheckType, check.check_type_id)
    await audit.record(session, viewer, "application.check_result", "application", app.id, {
        "checkId": check.id, "checkType": check_type.code if check_type else None, "status": status,
        "details": details, "previous": previous})
    await mark_score_stale(session, viewer, app, before)
    return check


# ---------------------------------------------------------------- stage 4: the interview


async def schedule_interview(
    session: AsyncSession, viewer: Viewer, *, application_id: int, scheduled_at: dt.datetime
) -> Application:
    _require_staff(viewer, "schedule interviews")
    app = await load_application(session, viewer, application_id)
    require_status(app, "scheduleInterview")
    if scheduled_at.tzinfo is None or scheduled_at.utcoffset() is None:
        raise invalid("The interview time must carry its offset, e.g. 2026-03-02T10:00:00+05:00.", "input", "scheduledAt")
    interview = (await session.execute(select(Interview).where(Interview.application_id == app.id))).scalar_one_or_none()
    now = utcnow()
    previous = None
    if interview is None:
        interview = Interview(application_id=app.id, scheduled_at=scheduled_at)
        session.add(interview)
    else:
        if interview.outcome is not None:
            raise invalid_state("the interview already has an outcome (" + interview.outcome.value
                                + "); an interview is rescheduled only before its outcome is recorded", *APPLICATION_ID)
        previous = interview.scheduled_at
        interview.scheduled_at = scheduled_at
    app.updated_at = now
    await session.flush()
    await audit.record(session, viewer, "application.interview_schedule", "application", app.id,
                       {"scheduledAt": scheduled_at, "previous": previous})
    return app


async def record_interview_outcome(
    session: AsyncSession, viewer: Viewer, *, application_id: int, outcome: InterviewOutcome,
    points: int | None = None, notes: str | None = None,
) -> Application:
    _require_staff(viewer, "record interview outcomes")
    app = await load_application(session, viewer, application_id)
    require_status(app, "recordInterviewOutcome")
    interview = (await session.execute(select(Interview).where(Interview.application_id == app.id))).scalar_one_or_none()
    if interview is None:
        raise invalid_state("no interview is scheduled; recordInterviewOutcome needs scheduleInterview first",
                            *APPLICATION_ID)
    errors = ErrorCollector()
    errors.invalid(rules.interview_points_problem(points), "input", "points")
    if notes is not None:
        notes = notes.strip() or None
        if notes is not None and len(notes) > NOTES_MAX:
            errors.invalid(f"Notes must be at most {NOTES_MAX} characters (got {len(notes)}).", "input", "notes")
    errors.raise_if_any()
    before = await facts_before_write(session, app)
    now = utcnow()
    previous = {"outcome": interview.outcome, "points": interview.points, "notes": interview.notes}
    interview.outcome = outcome
    interview.points = points
    interview.notes = notes
    interview.recorded_at = now
    app.updated_at = now
    await session.flush()
    await audit.record(session, viewer, "application.interview_outcome", "application", app.id,
                       {"outcome": outcome, "points": points, "notes": notes,
                        "previous": previous if previous["outcome"] is not None else None})
    await mark_score_stale(session, viewer, app, before)
    return app


# ---------------------------------------------------------------- scoring


async def missing_stages(session: AsyncSession, app: Application) -> list[str]:
    """The stages ``scoreApplication`` still needs, in pipeline order (empty when ready)."""
    missing: list[str] = []
    if (await session.execute(select(LanguageTest.id).where(LanguageTest.application_id == app.id))).first() is None:
        missing.append("the language test is not recorded")
    if (await session.execute(select(Questionnaire.id).where(Questionnaire.application_id == app.id))).first() is None:
        missing.append("the questionnaire is not submitted")
    checks = (await session.execute(
        select(CheckType.code, Check.status).join(CheckType, CheckType.id == Check.check_type_id)
        .where(Check.application_id == app.id).order_by(CheckType.code))).all()
    if not checks:
        missing.append("checks have not been requested (requestChecks)")
    else:
        pending = [code for code, status in checks if status == CheckStatus.REQUESTED]
        if pending:
            missing.append(f"{len(pending)} check(s) still await a result ({', '.join(pending)})")
    interview = (await session.execute(select(Interview).where(Interview.application_id == app.id))).scalar_one_or_none()
    if interview is None:
        missing.append("no interview is scheduled")
    elif interview.outcome is None:
        missing.append("the interview has no outcome")
    return missing


async def score_application(session: AsyncSession, viewer: Viewer, *, application_id: int) -> Application:
    _require_staff(viewer, "score applications")
    app = await load_application(session, viewer, application_id)
    require_status(app, "scoreApplication")
    missing = await missing_stages(session, app)
    if missing:
        raise invalid_state("scoreApplication needs every stage first: " + "; ".join(missing), *APPLICATION_ID)
    today = today_almaty()
    model = await scoring_models.model_in_force(session, today)
    if model is None:
        raise invalid_state(f"no published scoring model is in force on {today.isoformat()}", *APPLICATION_ID)
    results = await scoring_models.evaluate_batch(session, [app], model, today)
    result = results[app.id]
    # store_score sets PASSED or FAILED, the transitions this table allows.
    assert scoring_models.status_after(result) in LEADS_TO["scoreApplication"]
    await scoring_models.store_score(session, viewer, app, model, result)
    return app


# ---------------------------------------------------------------- decisions and withdrawal


async def decide_application(
    session: AsyncSession, viewer: Viewer, *, application_id: int, decision: Decision, reason: str | None = None
) -> Application:
    _require_staff(viewer, "decide applications")
    app = await load_application(session, viewer, application_id)
    errors = ErrorCollector()
    reason = _reason(reason, errors, "input", "reason", required=(
        f"A refusal must give its reason (1 to {REASON_MAX} characters)." if decision == Decision.REJECT else None))
    today = today_almaty()
    if decision == Decision.APPROVE:
        if app.route == Route.KANDAS and app.status in UNDECIDED_STATUSES:
            raise invalid_state("KANDAS applications are approved only by selection rounds (runSelectionRound)",
                                "input", "decision")
        action = "decideApplication(APPROVE)"
        to = S.APPROVED
    else:
        action = "decideApplication(REJECT)"
        to = S.REJECTED
    require_status(app, action)
    errors.raise_if_any()

    now = utcnow()
    changes: dict[str, Any] = {"decision": decision, "reason": reason}
    if to == S.APPROVED and app.route == Route.LABOUR:
        if app.occupation_id is None:  # never accepted at submission; kept as a guard
            raise invalid_state("a LABOUR application without an occupation cannot take a quota seat", *APPLICATION_ID)
        quota = await quotas.take_labour_seat(session, region_id=app.target_region_id,
                                              occupation_id=app.occupation_id, year=today.year)
        app.quota_id = quota.id
        app.seats = 1
        changes.update({"quotaId": quota.id, "seats": 1})
    old = move(app, action, to, now)
    app.decided_at = now
    app.decision_reason = reason
    await session.flush()
    cancelled = await decisions.close(session, viewer, outcome=DecisionOutcome(to.value),
                                      closings=[decisions.Closing(app.id, reason)], now=now)
    if cancelled:
        changes["cancelledChecks"] = cancelled[app.id]
    await audit.record(session, viewer, "application.decide", "application", app.id,
                       {"status": [old, to], **changes})
    return app


async def withdraw_application(
    session: AsyncSession, viewer: Viewer, *, application_id: int, reason: str | None = None
) -> Application:
    _require_person(viewer, "withdraw applications")
    app = await load_application(session, viewer, application_id)
    require_status(app, "withdrawApplication")
    errors = ErrorCollector()
    reason = _reason(reason, errors, "input", "reason")
    errors.raise_if_any()
    now = utcnow()
    old = move(app, "withdrawApplication", S.WITHDRAWN, now)
    app.decided_at = now  # when the application left the undecided states, by a decision or a withdrawal
    app.decision_reason = reason
    await session.flush()
    cancelled = await decisions.close(session, viewer, outcome=DecisionOutcome.WITHDRAWN,
                                      closings=[decisions.Closing(app.id, reason)], now=now)
    await audit.record(session, viewer, "application.withdraw", "application", app.id,
                       {"status": [old, S.WITHDRAWN], "reason": reason,
                        **({"cancelledChecks": cancelled[app.id]} if cancelled else {})})
    return app

