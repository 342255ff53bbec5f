"""What every stage of the pipeline does alike: who may act, loading (and
locking) the application, the anti-fraud lock, an occupation by its code, free
text with a length limit, and a stage's row replaced as a whole."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.text import t
from models import Application, Occupation, Region
from services import access, rules
from services.errors import ErrorCollector, forbidden, not_found
from services.viewer import Viewer

APPLICATION_ID = ("input", "applicationId")
CHECK_ID = ("input", "checkId")


def require_staff(viewer: Viewer, what: str) -> None:
    """``what`` is itself a message: ``require_staff(viewer, t("score applications"))``."""
    if not viewer.is_staff:
        raise forbidden(t("only officers and administrators may {what}", what=what))


def require_person(viewer: Viewer, what: str) -> None:
    """Applicants (for their own) and staff."""
    if not (viewer.is_staff or (viewer.is_applicant and viewer.subject)):
        raise forbidden(t("only applicants and officers may {what}", what=what))


async def postgres_lock(session: AsyncSession, *keys: str) -> None:
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
        raise not_found(t("application"), *field)
    return app


async def region_by_code(
    session: AsyncSession, code: str, errors: ErrorCollector, *field: str
) -> Region | None:
    """The region of an ISO 3166-2:KZ code written in any case; its problem goes to ``errors``."""
    problem = rules.region_code_problem(code)
    if problem:
        errors.invalid(problem, *field)
        return None
    return (await session.execute(
        select(Region).where(Region.code == rules.normalise_region_code(code)))).scalar_one_or_none()


async def occupation_by_code(
    session: AsyncSession, code: str | None, errors: ErrorCollector, *field: str
) -> Occupation | None:
    if code is None:
        return None
    code = code.strip()
    problem = rules.occupation_code_problem(code)
    if problem:
        errors.invalid(problem, *field)
        return None
    occupation = (await session.execute(select(Occupation).where(Occupation.code == code))).scalar_one_or_none()
    if occupation is None:
        errors.invalid(t("{code} is not a known ISCO-08 occupation code.", code=code), *field)
    return occupation


def optional_text(value: str | None, most: int, what: str, errors: ErrorCollector, *field: str) -> str | None:
    """Free text, stripped (None when blank); INVALID_INPUT when longer than ``most`` characters."""
    value = (value or "").strip() or None
    if value is not None and len(value) > most:
        errors.invalid(t("{what} must be at most {most} characters (got {length}).", what=what, most=most,
                         length=len(value)), *field)
    return value


async def replace_stage_row(
    session: AsyncSession, model: type[Any], app: Application, values: dict[str, Any], stamp: str, now: dt.datetime
) -> dict[str, Any] | None:
    """The application's row of a one-row stage (its language test, its
    questionnaire), created or replaced as a whole by ``values`` with ``stamp``
    set to ``now``; returns the values it had (None when it is new)."""
    row = (await session.execute(select(model).where(model.application_id == app.id))).scalar_one_or_none()
    if row is None:
        session.add(model(application_id=app.id, **{stamp: now}, **values))
        return None
    previous = {k: getattr(row, k) for k in values}
    for k, v in values.items():
        setattr(row, k, v)
    setattr(row, stamp, now)
    return previous
