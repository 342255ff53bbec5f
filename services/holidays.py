"""Public holidays (reference data, SPEC §14) and working days.

A holiday is either of a fixed date that recurs every year (``month``/``day``:
1 January, Nauryz, 16 December, …) or one dated day (``on_date``: a movable
holiday such as Kurban Ait, or a day off the government moves), which
administrators add each year. A working day is Monday to Friday and no
holiday. Administrators edit the table through :func:`save_holiday` and
:func:`delete_holiday` (validated, audited), in the admin panel.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.text import t
from models import Holiday
from services import audit
from services.errors import ErrorCode, ErrorCollector, ServiceError, forbidden, not_found
from services.rows import assign
from services.viewer import Viewer

NAME_MAX = 200


@dataclass(frozen=True)
class DaysOff:
    """The holidays as two sets: (month, day) of the fixed ones, and the dated days."""

    fixed: frozenset[tuple[int, int]]
    dated: frozenset[dt.date]

    def __call__(self, day: dt.date) -> bool:
        return (day.month, day.day) in self.fixed or day in self.dated


def is_working_day(day: dt.date, is_holiday: Callable[[dt.date], bool]) -> bool:
    return day.weekday() < 5 and not is_holiday(day)


def add_working_days(start: dt.date, days: int, is_holiday: Callable[[dt.date], bool]) -> dt.date:
    """The ``days``-th working day after ``start`` (``start`` itself does not count)."""
    day, counted = start, 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_working_day(day, is_holiday):
            counted += 1
    return day


async def days_off(session: AsyncSession) -> DaysOff:
    """Every holiday of the table (a few dozen rows)."""
    rows = (await session.execute(select(Holiday.month, Holiday.day, Holiday.on_date))).all()
    return DaysOff(fixed=frozenset((r.month, r.day) for r in rows if r.on_date is None),
                   dated=frozenset(r.on_date for r in rows if r.on_date is not None))


async def working_days_after(session: AsyncSession, start: dt.date, days: int) -> dt.date:
    return add_working_days(start, days, await days_off(session))


@dataclass(frozen=True)
class HolidayOn:
    """A holiday on a day of a year: a fixed one dated in that year, or a dated one."""

    on: dt.date
    recurring: bool
    row: Holiday


async def of_year(session: AsyncSession, year: int) -> list[HolidayOn]:
    """The holidays of ``year`` by date (29 February only in a leap year)."""
    rows = (await session.execute(select(Holiday))).scalars().all()
    days: list[HolidayOn] = []
    for row in rows:
        if row.on_date is not None:
            if row.on_date.year == year:
                days.append(HolidayOn(row.on_date, False, row))
        elif row.day <= calendar.monthrange(year, row.month)[1]:
            days.append(HolidayOn(dt.date(year, row.month, row.day), True, row))
    return sorted(days, key=lambda h: (h.on, h.row.id))


# --------------------------------------------------------------------------
# the administrators' edits


def _require_admin(viewer: Viewer) -> None:
    if not viewer.is_admin:
        raise forbidden(t("only administrators may change the public holidays"))


def _problems(month: int | None, day: int | None, on_date: dt.date | None,
              names: dict[str, str]) -> tuple[ErrorCollector, dict[str, str]]:
    errors = ErrorCollector()
    if on_date is not None:
        if month is not None or day is not None:
            errors.invalid(t("a holiday is either of a fixed date (month and day, every year) or dated "
                             "(one day); give one of the two"), "input", "onDate")
    elif month is None or day is None:
        errors.invalid(t("give the month and day of a holiday that recurs every year, or its date"), "input", "month")
    elif not 1 <= month <= 12:
        errors.invalid(t("month must be 1 to 12 (got {month})", month=month), "input", "month")
    elif not 1 <= day <= calendar.monthrange(2000, month)[1]:  # 2000: a leap year, so 29 February is allowed
        errors.invalid(t("day {day} does not exist in month {month}", day=day, month=month), "input", "day")
    clean: dict[str, str] = {}
    for key, value in names.items():
        value = (value or "").strip()
        if not 1 <= len(value) <= NAME_MAX:
            errors.invalid(t("the name must be 1 to {most} characters", most=NAME_MAX), "input", key)
        clean[key] = value
    return errors, clean


async def save_holiday(
    session: AsyncSession, viewer: Viewer, *, holiday_id: int | None = None, month: int | None = None,
    day: int | None = None, on_date: dt.date | None = None, name_kk: str, name_ru: str, name_en: str,
) -> Holiday:
    """Create a holiday (``holiday_id`` None) or replace one; a second holiday on the
    same fixed date or day is ``DUPLICATE``."""
    _require_admin(viewer)
    errors, names = _problems(month, day, on_date, {"nameKk": name_kk, "nameRu": name_ru, "nameEn": name_en})
    row = None
    if holiday_id is not None:
        row = await session.get(Holiday, holiday_id, with_for_update=True)
        if row is None:
            raise not_found("holiday", "input", "id")
    errors.raise_if_any()
    values = {"month": month if on_date is None else None, "day": day if on_date is None else None,
              "on_date": on_date, "name_kk": names["nameKk"], "name_ru": names["nameRu"], "name_en": names["nameEn"]}
    before: dict[str, Any] = {}
    try:
        async with session.begin_nested():
            if row is None:
                row = Holiday(**values)
                session.add(row)
            else:
                before = assign(row, values)
            await session.flush()
    except IntegrityError:
        raise ServiceError.one(ErrorCode.DUPLICATE, t("that day already is a holiday"),
                               ["input", "onDate" if on_date is not None else "month"]) from None
    if before:
        await audit.record(session, viewer, "holiday.update", "holiday", row.id, audit.diff(before, values))
    else:
        await audit.record(session, viewer, "holiday.create", "holiday", row.id, values)
    return row


async def delete_holiday(session: AsyncSession, viewer: Viewer, *, holiday_id: int) -> None:
    _require_admin(viewer)
    row = await session.get(Holiday, holiday_id, with_for_update=True)
    if row is None:
        raise not_found("holiday", "input", "id")
    values = {"month": row.month, "day": row.day, "onDate": row.on_date, "nameEn": row.name_en}
    await session.delete(row)
    await session.flush()
    await audit.record(session, viewer, "holiday.delete", "holiday", holiday_id, values)
