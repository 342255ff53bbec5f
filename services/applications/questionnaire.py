"""Stage 2 of the pipeline: the questionnaire with the family members, replaced
as a whole; it opens once the language test is recorded. A LABOUR
application's questionnaire names the application's own occupation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.text import t
from models import Applicant, Application, FamilyMember, LanguageTest, Occupation, Questionnaire, Score
from models.base import today_almaty, utcnow
from models.enums import EducationLevel, FamilyRelation, Proficiency, Route, Sex
from services import audit, rules
from services.applications.common import (
    APPLICATION_ID, load_application, replace_stage_row, require_person,
)
from services.applications.scores import facts_before_write, mark_score_stale
from services.applications.status import S, require_status
from services.errors import ErrorCode, ErrorCollector, invalid_state
from services.inputs import occupation_by_code
from services.viewer import Viewer


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
        errors.invalid(t("A family has at most 20 people: the applicant and at most {most} members "
                         "(got {count} members).", most=FAMILY_MEMBERS_MAX, count=len(members)), *base)
        return []
    seen_documents: dict[str, Any] = {principal.document_number: t("the applicant's")}
    seen_iins: dict[str, Any] = {principal.iin: t("the applicant's")} if principal.iin else {}
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
                errors.add(ErrorCode.DUPLICATE, t("This document number is already {whose}; each person of the family "
                                                  "is listed once.", whose=seen_documents[document]), *path, "documentNumber")
            seen_documents.setdefault(document, t("member {position}'s", position=index + 1))
        iin = member.iin if member.iin not in (None, "") else None
        if iin is not None:
            iin_problem = rules.iin_problem(iin, member.birth_date, member.sex)
            errors.invalid(iin_problem, *path, "iin")
            if iin_problem is None:
                if iin in seen_iins:
                    errors.add(ErrorCode.DUPLICATE, t("This IIN is already {whose}; each person of the family is listed "
                                                      "once.", whose=seen_iins[iin]), *path, "iin")
                seen_iins.setdefault(iin, t("member {position}'s", position=index + 1))
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
    require_person(viewer, t("submit questionnaires"))
    app = await load_application(session, viewer, application_id)
    require_status(app, "submitQuestionnaire")
    if not viewer.is_staff:
        scored = (await session.execute(select(Score.id).where(Score.application_id == app.id))).first()
        if app.status != S.SUBMITTED or scored is not None:
            raise invalid_state(t("the applicant may change the questionnaire only before scoring; "
                                  "the application has been scored, so ask an officer"), *APPLICATION_ID)
    has_test = (await session.execute(select(LanguageTest.id).where(LanguageTest.application_id == app.id))).first()
    if has_test is None:
        raise invalid_state(t("the questionnaire opens only after the language test is recorded"), *APPLICATION_ID)

    errors = ErrorCollector()
    errors.invalid(rules.work_experience_problem(work_experience_years), "input", "workExperienceYears")
    errors.invalid(rules.savings_problem(savings), "input", "savings")
    occupation = await occupation_by_code(session, occupation_code, errors, "input", "occupationCode")
    member_rows: list[dict[str, Any]] | None = None
    if family_members is not None:
        principal = (await session.execute(select(Applicant).where(Applicant.id == app.applicant_id))).scalar_one()
        member_rows = _family_members(family_members, principal, today_almaty(), errors)
        counted: int | None = 1 + len(family_members)
        how = t("the applicant and the {count} member(s) listed in familyMembers", count=len(family_members))
    else:
        on_record = (await session.execute(
            select(func.count()).select_from(FamilyMember).where(FamilyMember.application_id == app.id)
        )).scalar_one()
        counted = 1 + on_record if on_record else None
        how = t("the applicant and the {count} family member(s) on record (send familyMembers to change them)",
                count=on_record)
    if counted is not None and len(family_members or ()) <= FAMILY_MEMBERS_MAX:
        if family_size is None:
            family_size = counted
        elif rules.family_size_problem(family_size) is None and family_size != counted:
            errors.invalid(t("The family size counts {how}: {counted} (got {given}).", how=how, counted=counted,
                             given=family_size), "input", "familySize")
    if family_size is None:
        if counted is None:
            errors.invalid(t("Give familySize, or list the family in familyMembers."), "input", "familySize")
    else:
        errors.invalid(rules.family_size_problem(family_size), "input", "familySize")
    if app.route == Route.LABOUR:
        occupation = await _labouroccupation_by_code(session, app, occupation_code, occupation, errors)
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
    previous = await replace_stage_row(session, Questionnaire, app, values, "submitted_at", now)
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


async def _labouroccupation_by_code(session: AsyncSession, app: Application, code: str | None,
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
        errors.invalid(t("This LABOUR application is for occupation {applied}; the questionnaire must name the same "
                         "occupation (or leave occupationCode out to take it from the application), not {named}.",
                         applied=applied.code, named=named.code), "input", "occupationCode")
    return named
