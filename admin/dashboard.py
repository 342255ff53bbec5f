"""The panel's first page: quota fill per region and year, applications by
status and route, and the applications past their 29-day due date."""

from __future__ import annotations

from typing import Any, ClassVar

import sqlalchemy as sa
from sqladmin import BaseView, expose
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response

from admin.dashboard_labour import permit_data
from models import Application, Quota, Region
from models.base import today_almaty
from models.enums import ApplicationStatus, Route
from services.applications import overdue_condition
from services.quotas import seats_remaining
from services.year_data import missing_year_data

OVERDUE_SHOWN = 25


async def dashboard_data(session: AsyncSession) -> dict[str, Any]:
    today = today_almaty()
    quota_rows = (await session.execute(
        sa.select(Quota.year, Quota.kind, Region.code, Region.name_en,
                  sa.func.sum(Quota.capacity), sa.func.sum(Quota.used))
        .join(Region, Region.id == Quota.region_id)
        .group_by(Quota.year, Quota.kind, Region.code, Region.name_en)
        .order_by(Quota.year.desc(), Quota.kind, Region.code)
    )).all()
    quotas = []
    for year, kind, code, region, capacity, used in quota_rows:
        capacity, used = int(capacity or 0), int(used or 0)
        percent = round(100 * used / capacity) if capacity else 0
        quotas.append({"year": year, "kind": kind.value, "code": code, "region": region, "capacity": capacity,
                       "used": used, "remaining": seats_remaining(capacity, used), "percent": min(percent, 100)})

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
    return {
        "today": today,
        "year_warnings": [m.message for m in await missing_year_data(session, today)],
        "quotas": quotas,
        "statuses": [s.value for s in statuses],
        "by_status": by_status,
        "column_totals": column_totals,
        "grand_total": sum(column_totals),
        "overdue_count": overdue_count,
        "overdue": [{"id": r[0], "number": r[1], "route": r[2].value, "status": r[3].value, "due_date": r[4],
                     "days": (today - r[4]).days, "region": r[5]} for r in overdue],
        **await permit_data(session),
    }


class DashboardView(BaseView):
    name = "Dashboard"
    icon = "fa-solid fa-chart-column"
    sessions: ClassVar[async_sessionmaker[AsyncSession]]

    @expose("/dashboard", methods=["GET"], identity="dashboard")
    async def dashboard(self, request: Request) -> Response:
        async with self.sessions() as session:
            data = await dashboard_data(session)
        return await self.templates.TemplateResponse(request, "qonys/dashboard.html", {"title": "Dashboard", **data})
