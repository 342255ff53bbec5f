"""Is the reference data of the year in place before the year begins?

Every year needs its own MRP (support caps), KANDAS quotas (selection rounds),
deficit lists (LABOUR applications) and LABOUR quotas (LABOUR seats); the seed
holds one year's. From 1 December (Asia/Almaty) the next year's are looked for
too, so that the ministry hears of a gap a month before the actions that need
the value start refusing (each with its own ``INVALID_INPUT`` or
``QUOTA_EXHAUSTED``; nothing here changes them).

One rule, read by ``/healthz`` (its ``warnings``) and by the admin dashboard.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.text import t
from models import DeficitOccupation, MrpValue, Quota
from models.base import today_almaty
from models.enums import QuotaKind

# From this day of the year on, the next year's data is looked for too.
WARN_FROM_MONTH, WARN_FROM_DAY = 12, 1

WHAT = ("MRP", "KANDAS quotas", "deficit list", "LABOUR quotas")
WHAT_TEXT = {"MRP": t("MRP"), "KANDAS quotas": t("KANDAS quotas"), "deficit list": t("deficit list"),
             "LABOUR quotas": t("LABOUR quotas")}


@dataclass(frozen=True)
class MissingYearData:
    year: int
    what: str  # one of WHAT

    @property
    def message(self) -> str:
        return t("no {what} for {year}", what=WHAT_TEXT.get(self.what, self.what), year=self.year)


def years_to_check(today: dt.date) -> list[int]:
    """This year always; the next one too from 1 December."""
    if (today.month, today.day) >= (WARN_FROM_MONTH, WARN_FROM_DAY):
        return [today.year, today.year + 1]
    return [today.year]


def _exists(stmt: sa.Select) -> sa.ColumnElement[bool]:  # type: ignore[type-arg]
    return sa.exists(stmt)


async def missing_year_data(session: AsyncSession, today: dt.date | None = None) -> list[MissingYearData]:
    """What the current year (and, from 1 December, the next) lacks, in one statement."""
    today = today or today_almaty()
    checks: list[tuple[int, str, sa.ColumnElement[bool]]] = []
    for year in years_to_check(today):
        checks += [
            (year, "MRP", _exists(sa.select(MrpValue.id).where(MrpValue.year == year))),
            (year, "KANDAS quotas", _exists(sa.select(Quota.id).where(Quota.kind == QuotaKind.KANDAS,
                                                                      Quota.year == year))),
            (year, "deficit list", _exists(sa.select(DeficitOccupation.id).where(DeficitOccupation.year == year))),
            (year, "LABOUR quotas", _exists(sa.select(Quota.id).where(Quota.kind == QuotaKind.LABOUR,
                                                                      Quota.year == year))),
        ]
    present = (await session.execute(sa.select(*(c.label(f"c{i}") for i, (_, _, c) in enumerate(checks))))).one()
    return [MissingYearData(year, what) for (year, what, _), there in zip(checks, present, strict=True) if not there]
