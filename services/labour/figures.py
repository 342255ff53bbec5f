"""The dashboard's work permits (SPEC §15): by category, how many are requested,
approved and rejected, the workers approved, the LABOUR quota seats they took and
the places LABOUR applications used; and the fill of this year's LABOUR quotas."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models import Quota, WorkPermit
from models.enums import PermitCategory, PermitStatus, QuotaKind
from services.quotas import seats_remaining


async def permit_figures(session: AsyncSession, year: int) -> dict[str, Any]:
    approved = WorkPermit.status == PermitStatus.APPROVED
    rows = {category: row for category, *row in (await session.execute(
        sa.select(WorkPermit.category,
                  sa.func.sum(sa.case((WorkPermit.status == PermitStatus.REQUESTED, 1), else_=0)),
                  sa.func.sum(sa.case((approved, 1), else_=0)),
                  sa.func.sum(sa.case((WorkPermit.status == PermitStatus.REJECTED, 1), else_=0)),
                  sa.func.sum(sa.case((approved, WorkPermit.workers), else_=0)),
                  sa.func.sum(sa.case((approved & WorkPermit.quota_id.is_not(None), WorkPermit.workers), else_=0)),
                  sa.func.sum(WorkPermit.places_used))
        .group_by(WorkPermit.category))).all()}
    capacity, used = (await session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(Quota.capacity), 0), sa.func.coalesce(sa.func.sum(Quota.used), 0))
        .where(Quota.kind == QuotaKind.LABOUR, Quota.year == year))).one()
    capacity, used = int(capacity), int(used)
    permits = []
    for category in PermitCategory:
        requested, n_approved, rejected, workers, seats, places = (int(v or 0) for v in rows.get(category, [0] * 6))
        permits.append({"category": category.value, "requested": requested, "approved": n_approved,
                        "rejected": rejected, "workers": workers, "seats": seats, "places": places,
                        "percent": min(round(100 * seats / capacity), 100) if capacity else 0})
    return {"permits": permits, "labour_year": year, "labour_capacity": capacity, "labour_used": used,
            "labour_remaining": seats_remaining(capacity, used),
            "labour_percent": min(round(100 * used / capacity), 100) if capacity else 0}
