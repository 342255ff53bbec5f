"""The rules of SPEC §15 as pure functions over plain values: the BIN, the local
headcount, a permit request's categories, validity and local-share floors, the
ICT cap, and an employer's suspension from its violations. The services and the
demo data use them; nothing here reads the database."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import and_

from core.text import Text, t
from models.enums import PermitCategory, StaffCategory
from services.rules import iin_check_digit

# Kazakhstan's citizens are at least this share (%) of an employer's staff in these categories.
FLOORS: tuple[tuple[str, tuple[StaffCategory, ...], int], ...] = (
    ("1–2", (StaffCategory.CAT1, StaffCategory.CAT2), 70),
    ("3–4", (StaffCategory.CAT3, StaffCategory.CAT4), 90),
)
ICT_SHARE_PERCENT = 50  # intra-corporate transfers: at most half of the local staff
VALID_MONTHS_MAX = 12
SEASONAL_MONTHS_MAX = 6
WORKERS_MAX = 10_000
STAFF_MAX = 1_000_000
NAME_MAX = 300
# Categories whose occupation need not be on the region's deficit list.
ANY_OCCUPATION = (PermitCategory.CAT1, PermitCategory.ICT)
# Categories counted in the local-share floors (a permit category names its staff category).
STAFF_OF_PERMIT = {PermitCategory.CAT1: StaffCategory.CAT1, PermitCategory.CAT2: StaffCategory.CAT2,
                   PermitCategory.CAT3: StaffCategory.CAT3, PermitCategory.CAT4: StaffCategory.CAT4}
# An applicant's violations count for ``record.violations`` this many years back.
RECORD_YEARS = 5


# --------------------------------------------------------------------------
# the BIN


def bin_problem(value: str) -> Text | None:
    """A BIN is 12 digits whose last is the IIN's check digit of the first 11 (SPEC §8)."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{12}", value):
        shown = len(value) if isinstance(value, str) else 0
        return t("a BIN is exactly 12 digits (got {length} characters)", length=shown)
    check = iin_check_digit(value[:11])
    if check is None:
        return t("this BIN is not valid: no check digit is possible for its first 11 digits")
    if check != int(value[11]):
        return t("the BIN's check digit is wrong: {expected} expected, {given} given", expected=check,
                 given=int(value[11]))
    return None


def make_bin(first11: str) -> str | None:
    """The BIN of the first 11 digits, or None when no check digit exists for them."""
    check = iin_check_digit(first11)
    return None if check is None else f"{first11}{check}"


def employer_name_problem(name: str) -> Text | None:
    if not name.strip():
        return t("the employer's name must not be empty")
    if len(name.strip()) > NAME_MAX:
        return t("the employer's name is at most {most} characters (got {length})", most=NAME_MAX,
                 length=len(name.strip()))
    return None


def staff_problems(counts: Iterable[tuple[StaffCategory, int]]) -> list[tuple[int, str, Text]]:
    """(index, field, problem) of a local headcount given as (category, count) entries:
    counts 0–STAFF_MAX, each category at most once."""
    seen: set[StaffCategory] = set()
    problems = []
    for i, (category, count) in enumerate(counts):
        if category in seen:
            problems.append((i, "category", t("category {category} is given twice", category=category.value)))
        seen.add(category)
        if not 0 <= count <= STAFF_MAX:
            problems.append((i, "count", t("a headcount is from 0 to {most} (got {count})", most=STAFF_MAX,
                                           count=count)))
    return problems


def staff_columns(counts: Iterable[tuple[StaffCategory, int]]) -> dict[str, int]:
    """The employer's columns for a local headcount; a category not given counts 0."""
    columns = {f"local_{c.value.lower()}": 0 for c in StaffCategory}
    for category, count in counts:
        columns[f"local_{category.value.lower()}"] = count
    return columns


def staff_of(employer: object) -> dict[StaffCategory, int]:
    return {c: int(getattr(employer, f"local_{c.value.lower()}")) for c in StaffCategory}


# --------------------------------------------------------------------------
# a permit request


def workers_problem(workers: int) -> Text | None:
    if not 1 <= workers <= WORKERS_MAX:
        return t("workers is from 1 to {most} (got {workers})", most=WORKERS_MAX, workers=workers)
    return None


def valid_months_problem(category: PermitCategory, months: int) -> Text | None:
    if category == PermitCategory.SEASONAL and not 1 <= months <= SEASONAL_MONTHS_MAX:
        return t("a SEASONAL permit is valid for 1 to {most} months (got {months})", most=SEASONAL_MONTHS_MAX,
                 months=months)
    if not 1 <= months <= VALID_MONTHS_MAX:
        return t("a permit is valid for 1 to {most} months (got {months})", most=VALID_MONTHS_MAX, months=months)
    return None


def needs_deficit_occupation(category: PermitCategory) -> bool:
    return category not in ANY_OCCUPATION


def percent(part: int, whole: int) -> str:
    """``part`` of ``whole`` in per cent with one decimal (88.9)."""
    if whole == 0:
        return "100.0"
    return str((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class ShareProblem:
    field: str
    message: Text


def share_problems(local: Mapping[StaffCategory, int], foreign: Mapping[PermitCategory, int],
                   category: PermitCategory, workers: int) -> list[ShareProblem]:
    """What a request of ``workers`` in ``category`` breaks, given the employer's local
    staff and the foreign workers of its active permits by category: the floor of the
    request's group (70 % in 1–2, 90 % in 3–4: ``local * 100 >= floor * total``,
    exactly, in whole people), or, for ICT, half the local staff."""
    wanted = dict(foreign)
    wanted[category] = wanted.get(category, 0) + workers
    problems = []
    if category == PermitCategory.ICT:
        local_total = sum(local.values())
        ict = wanted[PermitCategory.ICT]
        if ict * 100 > ICT_SHARE_PERCENT * local_total:
            problems.append(ShareProblem("workers", t(
                "intra-corporate transfers would be {ict} with this request, above {cap} % of the local staff: "
                "at most {most} of {local} local", ict=ict, cap=ICT_SHARE_PERCENT,
                most=local_total * ICT_SHARE_PERCENT // 100, local=local_total)))
        return problems
    staff = STAFF_OF_PERMIT.get(category)
    for group, categories, floor in FLOORS:
        if staff not in categories:
            continue
        local_n = sum(local.get(c, 0) for c in categories)
        foreign_n = sum(wanted.get(p, 0) for p, s in STAFF_OF_PERMIT.items() if s in categories)
        total = local_n + foreign_n
        if local_n * 100 < floor * total:
            problems.append(ShareProblem("workers", t(
                "local staff in categories {group} would be {share} %, below the {floor} % floor: "
                "{local} local of {total} with this request",
                group=group, share=percent(local_n, total), floor=floor, local=local_n, total=total)))
    return problems


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def validity(start: dt.date, months: int) -> tuple[dt.date, dt.date]:
    """(first day, last day) of a permit valid ``months`` months from ``start``."""
    return start, add_months(start, months) - dt.timedelta(days=1)


# --------------------------------------------------------------------------
# suspension


def suspension_end(dates: Iterable[dt.date], *, violations: int, window_months: int,
                   suspension_months: int) -> dt.date | None:
    """The day an employer's suspension ends, given the dates of its violations:
    ``violations`` or more within ``window_months`` (the last one and those less than
    ``window_months`` before it) suspend it for ``suspension_months`` from the last
    one. The latest such end; None when no run of violations reaches the threshold."""
    ordered = sorted(dates)
    end: dt.date | None = None
    for i, last in enumerate(ordered):
        since = add_months(last, -window_months)
        within = [d for d in ordered[: i + 1] if d > since]
        if len(within) >= violations:
            candidate = add_months(last, suspension_months)
            end = candidate if end is None or candidate > end else end
    return end


def suspended_on(suspended_until: dt.date | None, today: dt.date) -> bool:
    """A suspension ending on ``suspended_until`` is in force before that day."""
    return suspended_until is not None and today < suspended_until


def suspended_condition(suspended_until: Any, today: Any) -> Any:
    """:func:`suspended_on` as SQL over the column (``today`` a date or a bound parameter)."""
    return and_(suspended_until.is_not(None), suspended_until > today)
