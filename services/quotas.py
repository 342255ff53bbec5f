"""Quotas, seats and selection rounds (SPEC §5).

Seats are taken with one conditional UPDATE (``used + n <= capacity``) whose row
count says whether they fit: two transactions racing for the last seat cannot
both win, on PostgreSQL (row lock) and SQLite (write lock) alike."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Quota
from models.base import utcnow
from models.enums import QuotaKind
from services.errors import ErrorCode, ServiceError


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
    quota = await labour_quota(session, region_id=region_id, occupation_id=occupation_id, year=year)
    if quota is None:
        raise ServiceError.one(ErrorCode.QUOTA_EXHAUSTED,
                               f"there is no LABOUR quota for this region and occupation in {year}",
                               ["input", "applicationId"])
    if not await take_seats(session, quota.id, 1):
        raise ServiceError.one(ErrorCode.QUOTA_EXHAUSTED,
                               f"the LABOUR quota for this region and occupation in {year} is exhausted",
                               ["input", "applicationId"])
    return quota
