"""Quotas and their seats (SPEC §5): creating a quota or changing its capacity
(``upsertQuota``), and taking seats.

Seats are taken with one conditional UPDATE (``used + n <= capacity``) whose row
count says whether they fit: two transactions racing for the last seat cannot
both win, on PostgreSQL (row lock) and SQLite (write lock) alike.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.text import t
from models import Application, Occupation, Quota, Region, WorkPermit
from models.base import utcnow
from models.enums import ApplicationStatus, PermitStatus, QuotaKind
from services import audit, rules
from services.errors import ErrorCode, ErrorCollector, ServiceError, forbidden, invalid
from services.reference import flush_checked, year_problem
from services.rows import locked
from services.viewer import Viewer

CAPACITY_MAX = 10_000_000


# --------------------------------------------------------------------------
# seats


async def take_seats(session: AsyncSession, quota_id: int, seats: int) -> bool:
    """Take ``seats`` seats of the quota if they fit; False (nothing changed) otherwise."""
    result = await session.execute(
        update(Quota)
        .where(Quota.id == quota_id, Quota.used + seats <= Quota.capacity)
        .values(used=Quota.used + seats, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def labour_quota(session: AsyncSession, *, region_id: int, occupation_id: int, year: int) -> Quota | None:
    return (await session.execute(
        select(Quota).where(Quota.kind == QuotaKind.LABOUR, Quota.region_id == region_id,
                            Quota.occupation_id == occupation_id, Quota.year == year)
    )).scalar_one_or_none()


async def take_labour_seat(session: AsyncSession, *, region_id: int, occupation_id: int, year: int) -> Quota:
    """One seat of the (region, occupation, year) LABOUR quota, or QUOTA_EXHAUSTED."""
    return await take_labour_seats(session, region_id=region_id, occupation_id=occupation_id, year=year, seats=1,
                                   field=("input", "applicationId"))


async def take_labour_seats(session: AsyncSession, *, region_id: int, occupation_id: int, year: int, seats: int,
                            field: tuple[str, ...]) -> Quota:
    """``seats`` seats of the (region, occupation, year) LABOUR quota with one conditional
    UPDATE (a work permit's workers, SPEC §15), or QUOTA_EXHAUSTED on ``field``, nothing taken."""
    quota = await labour_quota(session, region_id=region_id, occupation_id=occupation_id, year=year)
    if quota is None:
        raise ServiceError.one(ErrorCode.QUOTA_EXHAUSTED, t(
            "there is no LABOUR quota for this region and occupation in {year}", year=year), list(field))
    if not await take_seats(session, quota.id, seats):
        message = (t("the LABOUR quota for this region and occupation in {year} is exhausted", year=year)
                   if seats == 1 else
                   t("the LABOUR quota for this region and occupation in {year} is exhausted: {seats} seats do not "
                     "fit", year=year, seats=seats))
        raise ServiceError.one(ErrorCode.QUOTA_EXHAUSTED, message, list(field))
    return quota


# --------------------------------------------------------------------------
# upsertQuota


def _require_admin(viewer: Viewer) -> None:
    if not viewer.is_admin:
        raise forbidden(t("only administrators may change quotas"))


async def _find_quota(session: AsyncSession, kind: QuotaKind, year: int, region_id: int,
                      occupation_id: int | None, *, lock: bool = False) -> Quota | None:
    stmt = select(Quota).where(Quota.kind == kind, Quota.year == year, Quota.region_id == region_id)
    stmt = stmt.where(Quota.occupation_id.is_(None) if occupation_id is None else Quota.occupation_id == occupation_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt.execution_options(populate_existing=True))).scalar_one_or_none()


def seats_remaining(capacity: int, used: int) -> int:
    """The seats of a quota still free (the API's ``Quota.remaining``, the dashboard's column)."""
    return capacity - used


def capacity_problem(capacity: int) -> str | None:
    if capacity < 0:
        return t("capacity must not be negative (got {capacity})", capacity=capacity)
    if capacity > CAPACITY_MAX:
        return t("capacity must be at most {most} (got {capacity})", most=CAPACITY_MAX, capacity=capacity)
    return None


def _below_used(capacity: int, used: int) -> ServiceError:
    return invalid(t("capacity may not be lowered below the {used} seats already used (got {capacity})", used=used,
                     capacity=capacity),
                   "input", "capacity")


async def upsert_quota(
    session: AsyncSession,
    viewer: Viewer,
    *,
    kind: QuotaKind,
    year: int,
    region_code: str,
    occupation_code: str | None,
    capacity: int,
) -> Quota:
    """Create the (kind, year, region[, occupation]) quota or change its capacity."""
    _require_admin(viewer)
    kind = QuotaKind(kind)
    errors = ErrorCollector()
    errors.invalid(year_problem(year), "input", "year")
    errors.invalid(capacity_problem(capacity), "input", "capacity")
    region = (await session.execute(select(Region).where(Region.code == rules.normalise_region_code(region_code)))).scalar_one_or_none()
    if region is None:
        errors.invalid(t("unknown region {code}; use an ISO 3166-2 code such as KZ-55", code=repr(region_code)),
                       "input", "regionCode")
    elif kind == QuotaKind.KANDAS and not region.labour_deficit:
        errors.invalid(t("{code} ({name}) is not a labour-deficit region; KANDAS quotas exist only for labour-deficit "
                         "regions", code=region.code, name=region.name_en), "input", "regionCode")
    occupation: Occupation | None = None
    code = (occupation_code or "").strip()
    if kind == QuotaKind.KANDAS:
        if code:
            errors.invalid(t("a KANDAS quota has no occupation; leave occupationCode empty"), "input", "occupationCode")
    elif not code:
        errors.invalid(t("a LABOUR quota needs an occupationCode (ISCO-08, 4 digits)"), "input", "occupationCode")
    else:
        occupation = (await session.execute(select(Occupation).where(Occupation.code == code))).scalar_one_or_none()
        if occupation is None:
            errors.invalid(t("unknown occupation {code}; use an ISCO-08 unit group code from the reference list",
                             code=repr(code)),
                           "input", "occupationCode")
    errors.raise_if_any()
    assert region is not None
    occupation_id = occupation.id if occupation else None

    quota = await _find_quota(session, kind, year, region.id, occupation_id, lock=True)
    if quota is None:
        try:
            async with session.begin_nested():
                quota = Quota(kind=kind, year=year, region_id=region.id, occupation_id=occupation_id,
                              capacity=capacity, used=0, updated_at=utcnow())
                session.add(quota)
                await session.flush()
        except IntegrityError:
            # Another administrator created it a moment ago: update theirs instead.
            quota = await _find_quota(session, kind, year, region.id, occupation_id, lock=True)
            if quota is None:  # pragma: no cover - the unique index said it exists
                raise
        else:
            await audit.record(session, viewer, "quota.create", "quota", quota.id,
                               {"kind": kind, "year": year, "region": region.code,
                                "occupation": occupation.code if occupation else None, "capacity": capacity})
            return quota

    before = quota.capacity
    if capacity < quota.used:
        raise _below_used(capacity, quota.used)
    # Conditional, so a seat taken since the read above can never be squeezed out.
    result = await session.execute(
        update(Quota).where(Quota.id == quota.id, Quota.used <= capacity)
        .values(capacity=capacity, updated_at=utcnow()).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        used = (await session.execute(select(Quota.used).where(Quota.id == quota.id))).scalar_one()
        raise _below_used(capacity, used)
    quota = await _find_quota(session, kind, year, region.id, occupation_id)
    assert quota is not None
    if before != capacity:
        await audit.record(session, viewer, "quota.update", "quota", quota.id, {"capacity": [before, capacity]})
    return quota


def delete_refusal(quota: Quota) -> str | None:
    """Why ``quota`` may not be deleted: seats taken stay accounted for. None when none is used."""
    if quota.used:
        return t("seats of this quota are already used ({used}); it may not be deleted", used=quota.used)
    return None


async def delete_quota(session: AsyncSession, viewer: Viewer, *, quota_id: int) -> None:
    """Delete a quota none of whose seats is used yet."""
    _require_admin(viewer)
    quota = await locked(session, Quota, quota_id, t("quota"), delete_refusal)
    before = {"id": quota.id, "kind": quota.kind, "year": quota.year, "region_id": quota.region_id,
              "occupation_id": quota.occupation_id, "capacity": quota.capacity, "used": quota.used}
    await session.delete(quota)
    await flush_checked(session)
    await audit.record(session, viewer, "quota.delete", "quota", quota_id, before)


async def quota_usage(session: AsyncSession, quota_id: int) -> tuple[int, int]:
    """(``quota.used``, seats of the APPROVED applications and work permits booked on it):
    equal when consistent."""
    used = (await session.execute(select(Quota.used).where(Quota.id == quota_id))).scalar_one()
    booked = (await session.execute(
        select(func.coalesce(func.sum(Application.seats), 0))
        .where(Application.quota_id == quota_id, Application.status == ApplicationStatus.APPROVED)
    )).scalar_one()
    permits = (await session.execute(
        select(func.coalesce(func.sum(WorkPermit.workers), 0))
        .where(WorkPermit.quota_id == quota_id, WorkPermit.status == PermitStatus.APPROVED)
    )).scalar_one()
    return int(used), int(booked) + int(permits)
