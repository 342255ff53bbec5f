"""The facts a scoring model may look at (SPEC §3).

:func:`build` is the one definition of the facts, from plain values; every
scorer goes through it — :func:`gather` for applications in the database
(submission scoring, simulation, re-scoring) and the demo data generator for
the applications it makes.

:func:`gather` reads many applications at once with three Core statements
(and the year's MRP), whatever the batch size: the application joined to its one-to-one rows
(applicant, region, language test, questionnaire, interview, and whether the
questionnaire's occupation is in deficit in the region that year), its
checks counted per application, and its applicant's record of violations
(SPEC §15). Plain rows, no ORM objects."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import ROUND_DOWN, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import case, func, select
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
    Violation,
)
from models.enums import CheckStatus, ViolationKind
from models.types import CENT, id_in
from services.labour.rules import RECORD_YEARS
from services.rules import add_years, age_on



async def mrp_for(session: AsyncSession, year: int) -> Decimal | None:
    return (await session.execute(select(MrpValue.amount).where(MrpValue.year == year))).scalar_one_or_none()


def build(
    *,
    on: dt.date,
    route: str,
    birth_date: dt.date,
    ethnic_kazakh: bool,
    labour_deficit: bool,
    checks: int,
    mandatory_not_cleared: int,
    flagged: int,
    test: Mapping[str, Any] | None,
    questionnaire: Mapping[str, Any] | None,
    occupation_in_deficit: bool,
    mrp: Decimal | None,
    interview_outcome: str | None,
    interview_points: int | None,
    violations: int = 0,
    false_documents: bool = False,
) -> dict[str, Any]:
    """The facts of one application for scoring on ``on``.

    ``checks`` is how many checks it has, ``mandatory_not_cleared`` how many of
    the mandatory ones are not CLEARED, ``flagged`` how many are FLAGGED.
    ``test`` (``level``, ``listening_percent``, ``reading_percent``) and
    ``questionnaire`` (its columns, ``savings`` included) are None when missing;
    categories are their member names (``"B1"``). ``occupation_in_deficit``:
    the questionnaire names an occupation the target region lists as in deficit
    for ``on``'s year. ``mrp``: the MRP of that year (no savings fact without it).
    ``violations``: the applicant's violations in the ``RECORD_YEARS`` years up to
    ``on``; ``false_documents``: one of their violations, ever, is FALSE_DOCUMENTS
    (SPEC §15)."""
    facts: dict[str, Any] = {
        "route": route,
        "applicant.age": age_on(birth_date, on),
        "applicant.ethnicKazakh": ethnic_kazakh,
        "region.labourDeficit": labour_deficit,
        "checks.mandatoryCleared": checks > 0 and mandatory_not_cleared == 0,
        "checks.anyFlagged": flagged > 0,
        "record.violations": violations,
        "record.falseDocuments": false_documents,
    }
    if test is not None:
        facts["language.level"] = test["level"]
        facts["language.minBlockPercent"] = min(test["listening_percent"], test["reading_percent"])
    if questionnaire is not None:
        q = questionnaire
        facts["questionnaire.educationLevel"] = q["education_level"]
        facts["questionnaire.workExperienceYears"] = q["work_experience_years"]
        facts["questionnaire.familySize"] = q["family_size"]
        facts["questionnaire.russian"] = q["russian"]
        facts["questionnaire.english"] = q["english"]
        facts["questionnaire.relativesInKazakhstan"] = q["relatives_in_kazakhstan"]
        facts["questionnaire.priorStayInKazakhstan"] = q["prior_stay_in_kazakhstan"]
        facts["questionnaire.criminalRecord"] = q["criminal_record"]
        facts["questionnaire.deportedBefore"] = q["deported_before"]
        facts["questionnaire.occupationInDeficit"] = q["occupation_id"] is not None and occupation_in_deficit
        if mrp:
            facts["questionnaire.savingsMrp"] = (q["savings"] / mrp).quantize(CENT, rounding=ROUND_DOWN)
    if interview_outcome is not None:
        facts["interview.outcome"] = interview_outcome
    if interview_points is not None:
        facts["interview.points"] = interview_points
    return facts


def _text(column: Any) -> Any:
    """An enum column as its stored text (the member's value): no enum objects to make and unmake."""
    return sa.type_coerce(column, sa.String()).label(column.key)


def _rows_statement(on: dt.date) -> Any:
    a, p, r = Application.__table__, Applicant.__table__, Region.__table__
    t, q, i = LanguageTest.__table__, Questionnaire.__table__, Interview.__table__
    d = DeficitOccupation.__table__
    in_deficit = (
        select(d.c.id).where(d.c.year == on.year, d.c.region_id == a.c.target_region_id,
                             d.c.occupation_id == q.c.occupation_id)
        .exists().label("occupation_in_deficit")
    )
    return (
        select(
            a.c.id, _text(a.c.route), p.c.birth_date, p.c.ethnic_kazakh,
            r.c.id.label("region_id"), r.c.labour_deficit,
            t.c.id.label("test_id"), _text(t.c.level), t.c.listening_percent, t.c.reading_percent,
            q.c.id.label("questionnaire_id"), _text(q.c.education_level), q.c.work_experience_years,
            q.c.family_size, _text(q.c.russian), _text(q.c.english), q.c.relatives_in_kazakhstan,
            q.c.prior_stay_in_kazakhstan, q.c.criminal_record, q.c.deported_before, q.c.occupation_id, q.c.savings,
            in_deficit, _text(i.c.outcome).label("interview_outcome"), i.c.points.label("interview_points"),
        )
        .select_from(
            a.join(p, p.c.id == a.c.applicant_id)
            .outerjoin(r, r.c.id == a.c.target_region_id)
            .outerjoin(t, t.c.application_id == a.c.id)
            .outerjoin(q, q.c.application_id == a.c.id)
            .outerjoin(i, i.c.application_id == a.c.id)
        )
    )


def _checks_statement() -> Any:
    c, ct = Check.__table__, CheckType.__table__
    return (
        select(
            c.c.application_id,
            func.count(),
            func.sum(case((sa.and_(ct.c.mandatory, c.c.status != CheckStatus.CLEARED), 1), else_=0)),
            func.sum(case((c.c.status == CheckStatus.FLAGGED, 1), else_=0)),
        )
        .join(ct, ct.c.id == c.c.check_type_id)
        .group_by(c.c.application_id)
    )


def _record_statement(on: dt.date) -> Any:
    """Per application: its applicant's violations in the last ``RECORD_YEARS`` years up to
    ``on``, and whether one of them, ever, is FALSE_DOCUMENTS."""
    a, v = Application.__table__, Violation.__table__
    recent = sa.and_(v.c.occurred_on > add_years(on, -RECORD_YEARS), v.c.occurred_on <= on)
    return (
        select(a.c.id, func.sum(case((recent, 1), else_=0)),
               func.sum(case((v.c.kind == ViolationKind.FALSE_DOCUMENTS.value, 1), else_=0)))
        .join(v, v.c.applicant_id == a.c.applicant_id)
        .group_by(a.c.id)
    )


async def gather(
    session: AsyncSession, apps: Sequence[Application] | Sequence[int], on: dt.date
) -> dict[int, dict[str, Any]]:
    """``{application id: facts}`` for scoring on the date ``on``; ``apps`` are
    applications or their ids (the facts come from the database either way)."""
    if not apps:
        return {}
    ids = [a if isinstance(a, int) else a.id for a in apps]
    dialect = session.get_bind().dialect.name
    rows = (await session.execute(_rows_statement(on).where(id_in(Application.__table__.c.id, ids, dialect)))).all()
    checks = {
        app_id: (n, open_, flagged) for app_id, n, open_, flagged in (await session.execute(
            _checks_statement().where(id_in(Check.__table__.c.application_id, ids, dialect)))).all()
    }
    record = {
        app_id: (int(n or 0), bool(false_docs)) for app_id, n, false_docs in (await session.execute(
            _record_statement(on).where(id_in(Application.__table__.c.id, ids, dialect)))).all()
    }
    mrp = await mrp_for(session, on.year)
    result: dict[int, dict[str, Any]] = {}
    for row in rows:
        n, open_, flagged = checks.get(row.id, (0, 0, 0))
        result[row.id] = build(
            on=on, route=row.route, birth_date=row.birth_date, ethnic_kazakh=row.ethnic_kazakh,
            labour_deficit=row.labour_deficit if row.region_id is not None else False,
            checks=n, mandatory_not_cleared=open_ or 0, flagged=flagged or 0,
            test=row._mapping if row.test_id is not None else None,
            questionnaire=row._mapping if row.questionnaire_id is not None else None,
            occupation_in_deficit=bool(row.occupation_in_deficit), mrp=mrp,
            interview_outcome=row.interview_outcome, interview_points=row.interview_points,
            violations=record.get(row.id, (0, False))[0], false_documents=record.get(row.id, (0, False))[1],
        )
    return result
