"""Applications, read-only: the services write them (the dashboard lists the overdue ones).
An application's page is its whole case (qonys/case.html)."""

from __future__ import annotations

from typing import Any

from sqladmin.filters import OperationColumnFilter
from starlette.exceptions import HTTPException
from starlette.requests import Request

from admin.auth import viewer_for
from admin.views.common import CaseView, enum_filter, labels, region_filter
from models import Application
from models.enums import ApplicationStatus, Route
from services import case_sections  # noqa: F401  (registers the case page's sections after the decision)
from services.case_file import case_file
from services.errors import ServiceError


class ApplicationAdmin(CaseView, model=Application):
    name = "Application"
    icon = "fa-solid fa-folder-open"
    link_column = "number"
    column_list = ["number", "applicant_id", "route", "status", "target_region_id", "submitted_at", "due_date",
                   "decided_at"]
    column_details_exclude_list = ["owner_subject"]
    column_labels = labels("number", "status", "occupation_id", "quota_id", "updated_at", "due_date", "decided_at",
                           "citizenship", "document_number", "applicant_id", route="Route",
                           target_region_id="Target region", submitted_at="Submitted", iin="IIN",
                           decision_reason="Decision reason", seats="Seats taken")
    column_searchable_list = ["number", "document_number", "iin"]
    column_sortable_list = ["number", "route", "status", "submitted_at", "due_date", "decided_at"]
    column_default_sort = ("submitted_at", True)
    column_filters = [enum_filter(Application.status, ApplicationStatus, "Status"),
                      enum_filter(Application.route, Route, "Route"),
                      region_filter(Application.target_region_id, "Target region"),
                      OperationColumnFilter(Application.due_date, title="Due date")]

    # The details page is the case page: the whole case from services.case_file.
    details_template = "qonys/case.html"

    async def details_context(self, request: Request) -> dict[str, Any]:
        try:
            pk = int(request.path_params["pk"])
        except (KeyError, ValueError):
            raise HTTPException(status_code=404) from None
        async with self.sessions() as session:
            try:
                case = await case_file(session, viewer_for(request), pk)
            except ServiceError:
                raise HTTPException(status_code=404) from None
        return {"case": case, "subtitle": f"{case.application.number} · {case.applicant.full_name}"}
