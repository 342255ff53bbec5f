"""What writes read from their input alike, in the pipeline and outside it
(employers, work permits): a region or an occupation by its code, free text with
a length limit. A problem goes to the caller's ``ErrorCollector`` on its field,
so that every problem of an input is reported together."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.text import t
from models import Occupation, Region
from services import rules
from services.errors import ErrorCollector

# Built once, the code bound at each execution (why: README, "Layout").
_OCCUPATION = select(*Occupation.__table__.c).where(Occupation.__table__.c.code == bindparam("code"))


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
) -> Row[Any] | None:
    """The occupation of an ISCO-08 code, as a row of its columns (a Core statement on
    the session's connection); its problem goes to ``errors``."""
    if code is None:
        return None
    code = code.strip()
    problem = rules.occupation_code_problem(code)
    if problem:
        errors.invalid(problem, *field)
        return None
    occupation = (await (await session.connection()).execute(_OCCUPATION, {"code": code})).first()
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
