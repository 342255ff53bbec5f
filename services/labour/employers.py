"""The employer registry (SPEC §15): ``registerEmployer`` and ``updateEmployerStaff``,
by officers and administrators."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.text import t
from models import Employer
from models.base import utcnow
from models.enums import StaffCategory
from services import audit
from services.errors import ErrorCode, ErrorCollector, ServiceError, forbidden
from services.inputs import region_by_code
from services.labour import rules as labour
from services.rows import assign, locked
from services.viewer import Viewer

EMPLOYER_ID = ("input", "employerId")


@dataclass(frozen=True)
class StaffCount:
    category: StaffCategory
    count: int


def require_staff(viewer: Viewer) -> None:
    if not viewer.is_staff:
        raise forbidden(t("only officers and administrators may register employers and decide work permits"))


def _staff(local_staff: Sequence[StaffCount], errors: ErrorCollector) -> dict[str, int]:
    entries = [(StaffCategory(s.category), s.count) for s in local_staff]
    for index, name, problem in labour.staff_problems(entries):
        errors.invalid(problem, "input", "localStaff", str(index), name)
    return labour.staff_columns(entries)


def _duplicate(bin_: str) -> ServiceError:
    return ServiceError.one(ErrorCode.DUPLICATE, t("an employer with BIN {bin} is already registered", bin=bin_),
                            ["input", "bin"])


async def register_employer(session: AsyncSession, viewer: Viewer, *, bin: str, name: str, region_code: str,
                            local_staff: Sequence[StaffCount]) -> Employer:
    require_staff(viewer)
    errors = ErrorCollector()
    bin_ = (bin or "").strip()
    errors.invalid(labour.bin_problem(bin_), "input", "bin")
    errors.invalid(labour.employer_name_problem(name or ""), "input", "name")
    region = await region_by_code(session, region_code, errors, "input", "regionCode")
    columns = _staff(local_staff, errors)
    errors.raise_if_any()
    assert region is not None
    if (await session.execute(select(Employer.id).where(Employer.bin == bin_))).first() is not None:
        raise _duplicate(bin_)
    now = utcnow()
    employer = Employer(bin=bin_, name=name.strip(), region_id=region.id, created_at=now, updated_at=now, **columns)
    try:
        async with session.begin_nested():
            session.add(employer)
            await session.flush()
    except IntegrityError:  # registered a moment ago by someone else
        raise _duplicate(bin_) from None
    await audit.record(session, viewer, "employer.register", "employer", employer.id,
                       {"bin": bin_, "name": employer.name, "region": region.code, "localStaff": columns})
    return employer


async def lock_employer(session: AsyncSession, employer_id: int, *field: str) -> Employer:
    """The employer row, locked for the rest of the transaction; NOT_FOUND when missing."""
    return await locked(session, Employer, employer_id, "employer", field=field or EMPLOYER_ID)


async def update_employer_staff(session: AsyncSession, viewer: Viewer, *, employer_id: int,
                                local_staff: Sequence[StaffCount]) -> Employer:
    """Replaces the employer's local headcount (a category not given counts 0)."""
    require_staff(viewer)
    errors = ErrorCollector()
    columns = _staff(local_staff, errors)
    errors.raise_if_any()
    employer = await lock_employer(session, employer_id)
    before = assign(employer, columns)
    employer.updated_at = utcnow()
    await session.flush()
    await audit.record(session, viewer, "employer.update_staff", "employer", employer.id,
                       audit.diff(before, columns))
    return employer
