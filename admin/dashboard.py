"""The panel's first page: quota fill per region and year, applications by
status and route and by month, support paid and refunds outstanding by region
and measure, and the applications past their 29-day due date. The figures come
from ``services.figures``; the charts are drawn beside their numbers by the
chart library the app serves itself (``admin.chart_assets``)."""

from __future__ import annotations

from typing import Any, ClassVar

from sqladmin import BaseView, expose
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response

from admin.chart_assets import CHART_JS, chart_integrity
from core.text import t
from services.figures import MoneyTable, dashboard_figures


def money_chart(table: MoneyTable) -> dict[str, Any]:
    return {"labels": table.regions,
            "series": [{"name": m, "values": [float(table.cells.get((r, m), 0)) for r in table.regions]}
                       for m in table.measures]}


def charts(data: dict[str, Any]) -> dict[str, Any]:
    """What the charts draw (the same figures as the tables beside them)."""
    kandas = [q for q in data["quotas"] if q["kind"] == "KANDAS"]
    latest = max((q["year"] for q in kandas), default=None)
    fill = [q for q in kandas if q["year"] == latest]
    return {
        "quota": {"labels": [f"{q['region']} ({q['year']})" for q in fill],
                  "series": [{"name": "Seats used", "values": [q["used"] for q in fill]},
                             {"name": "Seats remaining", "values": [q["remaining"] for q in fill]}]},
        "months": {"labels": data["by_month"]["months"],
                   "series": [{"name": s["status"], "values": s["counts"]} for s in data["by_month"]["series"]]},
        "support": money_chart(data["support"]),
        "refunds": money_chart(data["refunds"]),
    }


class DashboardView(BaseView):
    name = "Dashboard"
    icon = "fa-solid fa-chart-column"
    sessions: ClassVar[async_sessionmaker[AsyncSession]]

    @expose("/dashboard", methods=["GET"], identity="dashboard")
    async def dashboard(self, request: Request) -> Response:
        async with self.sessions() as session:
            data = await dashboard_figures(session)
        return await self.templates.TemplateResponse(request, "qonys/dashboard.html", {
            "title": t("Dashboard"), **data, "charts": charts(data), "chart_js": CHART_JS,
            "chart_integrity": chart_integrity()})
