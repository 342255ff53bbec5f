"""Kandas statuses and reviews of decisions (read-only: ``services.kandas`` and
``services.reviews`` write them) and the public holidays a review's due date
skips (edited through ``services.holidays``, validated and audited there)."""

from __future__ import annotations

from typing import Any

from sqladmin.filters import OperationColumnFilter
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from admin.base import QonysModelView, REFERENCE
from core.text import t
from admin.views.common import CaseView, enum_filter, labels
from models import DecisionReview, Holiday, KandasStatus
from models.base import today_almaty
from models.enums import ApplicationStatus, KandasEndReason, KandasStatusState, ReviewStatus
from services import holidays
from services.kandas import state_on
from services.viewer import Viewer


def _status_today(model: Any, attribute: str, request: Request | None = None) -> str:
    """The status as read today: an ACTIVE status past its last valid day shows EXPIRED."""
    return state_on(model.status, model.valid_until, today_almaty()).value


def _overdue(model: Any, attribute: str, request: Request | None = None) -> str:
    late = model.status == ReviewStatus.OPEN and model.due_date < today_almaty()
    return t("{due} (overdue)", due=model.due_date.isoformat()) if late else model.due_date.isoformat()


class KandasStatusAdmin(CaseView, model=KandasStatus):
    name = "Kandas status"
    name_plural = "Kandas statuses"
    icon = "fa-solid fa-id-card"
    column_list = ["number", "application_id", "granted_on", "valid_until", "status", "extended_months",
                   "end_reason", "ended_on"]
    column_labels = labels("number", "application_id", "status", "created_at", "updated_at", "valid_until",
                           "applicant_id", granted_on="Granted on", extended_months="Extended (months)",
                           end_reason="End reason", ended_on="Ended on")
    column_searchable_list = ["number"]
    column_sortable_list = ["number", "granted_on", "valid_until", "status"]
    column_default_sort = ("valid_until", False)
    column_filters = [enum_filter(KandasStatus.status, (KandasStatusState.ACTIVE, KandasStatusState.ENDED),
                                  "Status (stored; ACTIVE past its date reads EXPIRED)"),
                      enum_filter(KandasStatus.end_reason, KandasEndReason, "End reason"),
                      OperationColumnFilter(KandasStatus.valid_until, title="Valid until")]
    column_formatters = {"status": _status_today}
    column_formatters_detail = {"status": _status_today}


class DecisionReviewAdmin(CaseView, model=DecisionReview):
    name = "Review of a decision"
    name_plural = "Reviews of decisions"
    icon = "fa-solid fa-scale-balanced"
    column_list = ["number", "application_id", "status", "reviewed_status", "decision_on", "decision_by",
                   "requested_at", "due_date", "outcome", "decided_by"]
    column_labels = labels("number", "application_id", "status", "requested_at", "due_date", "reason",
                           reviewed_status="Decision under review", decision_on="Decided on", decision_by="Decided by",
                           requested_by="Requested by", grounds="Grounds", outcome="Outcome", decided_at="Reviewed",
                           decided_by="Reviewed by", score_model_version="Score: model", score_total="Score: total",
                           score_passed="Score: passed")
    column_searchable_list = ["number", "decision_by", "decided_by"]
    column_sortable_list = ["number", "status", "requested_at", "due_date"]
    column_default_sort = ("due_date", False)
    column_filters = [enum_filter(DecisionReview.status, ReviewStatus, "Status"),
                      enum_filter(DecisionReview.reviewed_status, (ApplicationStatus.FAILED, ApplicationStatus.REJECTED),
                                  "Decision under review"),
                      OperationColumnFilter(DecisionReview.due_date, title="Due")]
    column_formatters = {"due_date": _overdue}


class HolidayAdmin(QonysModelView, model=Holiday):
    name = "Public holiday"
    icon = "fa-solid fa-calendar-day"
    category = REFERENCE
    column_list = ["month", "day", "on_date", "name_en", "name_ru", "name_kk"]
    column_labels = labels("name_kk", "name_ru", "name_en", month="Month (every year)", day="Day (every year)",
                           on_date="Date (this day only)")
    column_searchable_list = ["name_en", "name_ru", "name_kk"]
    column_sortable_list = ["month", "day", "on_date", "name_en"]
    column_default_sort = [("month", False), ("day", False), ("on_date", False)]
    column_filters = [OperationColumnFilter(Holiday.month, title="Month"),
                      OperationColumnFilter(Holiday.on_date, title="Date")]
    form_columns = ["month", "day", "on_date", "name_kk", "name_ru", "name_en"]

    @staticmethod
    def _values(data: dict[str, Any]) -> dict[str, Any]:
        def number(value: Any) -> int | None:
            return None if value in (None, "") else int(value)

        return {"month": number(data.get("month")), "day": number(data.get("day")),
                "on_date": data.get("on_date") or None, "name_kk": data.get("name_kk") or "",
                "name_ru": data.get("name_ru") or "", "name_en": data.get("name_en") or ""}

    async def create_row(self, session: AsyncSession, viewer: Viewer, data: dict[str, Any]) -> Any:
        return await holidays.save_holiday(session, viewer, **self._values(data))

    async def update_row(self, session: AsyncSession, viewer: Viewer, pk: int, data: dict[str, Any]) -> Any:
        return await holidays.save_holiday(session, viewer, holiday_id=pk, **self._values(data))

    async def delete_row(self, session: AsyncSession, viewer: Viewer, pk: int) -> None:
        await holidays.delete_holiday(session, viewer, holiday_id=pk)
