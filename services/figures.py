"""The figures of the admin panel's dashboard, computed here (the panel only
draws them): quota fill per region and year, applications by route and status
and by month of submission, the overdue ones, support paid by region and
measure, and refunds outstanding by region and measure.

A refund is owed for a contract as a whole (SPEC §6: the whole support is
returned); "by measure" it is split in proportion to what each measure paid on
that contract, the last measure taking the rounding cents, so the parts add up
to the contract's outstanding refund exactly."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models import Application, ContractTermination, Quota, Region, SocialContract, SupportMeasure, SupportPayment
from models.base import today_almaty
from models.enums import ApplicationStatus, Route
from services.applications import overdue_condition
from services.labels import region_short
from services.labour.figures import permit_figures
from services.quotas import seats_remaining
from services.year_data import missing_year_data

OVERDUE_SHOWN = 25
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class MoneyTable:
    """Amounts by region (rows) and measure (columns), with totals."""

    regions: list[str]
    measures: list[str]
    cells: dict[tuple[str, str], Decimal]

    def row(self, region: str) -> list[Decimal]:
        return [self.cells.get((region, m), ZERO) for m in self.measures]

    def region_total(self, region: str) -> Decimal:
        return sum(self.row(region), ZERO)

    def measure_total(self, measure: str) -> Decimal:
        return sum((self.cells.get((r, measure), ZERO) for r in self.regions), ZERO)

    @property
    def total(self) -> Decimal:
        return sum(self.cells.values(), ZERO)


def _table(cells: dict[tuple[str, str], Decimal]) -> MoneyTable:
    cells = {k: v for k, v in cells.items() if v}
    return MoneyTable(sorted({r for r, _ in cells}), sorted({m for _, m in cells}), cells)


async def _paid_by_contract(session: AsyncSession) -> dict[int, dict[str, Decimal]]:
    rows = (await session.execute(
        sa.select(SupportPayment.contract_id, SupportMeasure.code, sa.func.sum(SupportPayment.amount))
        .join(SupportMeasure, SupportMeasure.id == SupportPayment.measure_id)
        .group_by(SupportPayment.contract_id, SupportMeasure.code))).all()
    paid: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for contract_id, code, amount in rows:
        paid[contract_id][code] = Decimal(amount or 0).quantize(CENT)
    return paid


async def _contract_regions(session: AsyncSession, contract_ids: set[int]) -> dict[int, str]:
    regions: dict[int, str] = {}
    ids = sorted(contract_ids)
    for start in range(0, len(ids), 1000):
        regions.update((await session.execute(
            sa.select(SocialContract.id, Region.name_en).join(Region, Region.id == SocialContract.region_id)
            .where(SocialContract.id.in_(ids[start:start + 1000])))).all())
    return {k: region_short(v) for k, v in regions.items()}


def split_by_share(amount: Decimal, shares: dict[str, Decimal]) -> dict[str, Decimal]:
    """``amount`` split in proportion to ``shares`` (to the cent; the parts add up to it)."""
    total = sum(shares.values(), ZERO)
    if not shares or total <= 0:
        return {"(no support recorded)": amount} if amount else {}
    parts: dict[str, Decimal] = {}
    left = amount
    names = sorted(shares)
    for name in names[:-1]:
        part = (amount * shares[name] / total).quantize(CENT)
        parts[name] = part
        left -= part
    parts[names[-1]] = left
    return parts


async def support_and_refunds(session: AsyncSession) -> tuple[MoneyTable, MoneyTable]:
    """Support paid, and refunds outstanding, by region and measure."""
    paid = await _paid_by_contract(session)
    owed = {contract_id: due - done for contract_id, due, done in (await session.execute(
        sa.select(ContractTermination.contract_id, ContractTermination.refund_due, ContractTermination.refund_paid)
    )).all() if due - done > 0}
    regions = await _contract_regions(session, set(paid) | set(owed))
    support: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for contract_id, by_measure in paid.items():
        for measure, amount in by_measure.items():
            support[(regions[contract_id], measure)] += amount
    refunds: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for contract_id, amount in owed.items():
        for measure, part in split_by_share(amount, paid.get(contract_id, {})).items():
            refunds[(regions[contract_id], measure)] += part
    return _table(support), _table(refunds)


def _month(session: AsyncSession, column: Any) -> Any:
    """The month (YYYY-MM) of a timestamp in Almaty time (UTC+5 all year)."""
    if session.bind.dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("Asia/Almaty", column), "YYYY-MM")
    return sa.func.strftime("%Y-%m", column, "+5 hours")


async def applications_by_month(session: AsyncSession) -> dict[str, Any]:
    """Applications by month of submission and their status now."""
    month = _month(session, Application.submitted_at).label("month")
    rows = (await session.execute(
        sa.select(month, Application.status, sa.func.count()).group_by(month, Application.status).order_by(month)
    )).all()
    months = sorted({m for m, _, _ in rows})
    counts = {(m, s): n for m, s, n in rows}
    return {"months": months,
            "series": [{"status": s.value, "counts": [counts.get((m, s), 0) for m in months]}
                       for s in ApplicationStatus]}


async def quota_fill(session: AsyncSession) -> list[dict[str, Any]]:
    rows = (await session.execute(
        sa.select(Quota.year, Quota.kind, Region.code, Region.name_en,
                  sa.func.sum(Quota.capacity), sa.func.sum(Quota.used))
        .join(Region, Region.id == Quota.region_id)
        .group_by(Quota.year, Quota.kind, Region.code, Region.name_en)
        .order_by(Quota.year.desc(), Quota.kind, Region.code)
    )).all()
    quotas = []
    for year, kind, code, region, capacity, used in rows:
        capacity, used = int(capacity or 0), int(used or 0)
        percent = round(100 * used / capacity) if capacity else 0
        quotas.append({"year": year, "kind": kind.value, "code": code, "region": region, "capacity": capacity,
                       "used": used, "remaining": seats_remaining(capacity, used), "percent": min(percent, 100)})
    return quotas


async def dashboard_figures(session: AsyncSession, today: dt.date | None = None) -> dict[str, Any]:
    today = today or today_almaty()
    counts = {(route, status): n for route, status, n in (await session.execute(
        sa.select(Application.route, Application.status, sa.func.count()).group_by(Application.route, Application.status)
    )).all()}
    statuses = list(ApplicationStatus)
    routes = list(Route)
    by_status = [{"route": r.value, "cells": [counts.get((r, s), 0) for s in statuses],
                  "total": sum(counts.get((r, s), 0) for s in statuses)} for r in routes]
    column_totals = [sum(counts.get((r, s), 0) for r in routes) for s in statuses]

    overdue_filter = overdue_condition(today)
    overdue_count = (await session.execute(sa.select(sa.func.count()).where(overdue_filter))).scalar_one()
    overdue = (await session.execute(
        sa.select(Application.id, Application.number, Application.route, Application.status, Application.due_date,
                  Region.code)
        .join(Region, Region.id == Application.target_region_id)
        .where(overdue_filter).order_by(Application.due_date, Application.id).limit(OVERDUE_SHOWN)
    )).all()
    support, refunds = await support_and_refunds(session)
    return {
        "today": today,
        "year_warnings": [m.message for m in await missing_year_data(session, today)],
        "quotas": await quota_fill(session),
        "statuses": [s.value for s in statuses],
        "by_status": by_status,
        "column_totals": column_totals,
        "grand_total": sum(column_totals),
        "by_month": await applications_by_month(session),
        "support": support,
        "refunds": refunds,
        "overdue_count": overdue_count,
        "overdue": [{"id": r[0], "number": r[1], "route": r[2].value, "status": r[3].value, "due_date": r[4],
                     "days": (today - r[4]).days, "region": r[5]} for r in overdue],
        **await permit_figures(session, today.year),
    }
