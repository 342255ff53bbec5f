"""Applications, read-only: the services write them (the dashboard lists the overdue ones)."""

from __future__ import annotations

from sqladmin.filters import OperationColumnFilter

from admin.base import ReadOnlyView
from admin.views.common import labels, CASES, enum_filter, region_filter
from models import Application
from models.enums import ApplicationStatus, Route


class ApplicationAdmin(ReadOnlyView, model=Application):
    name = "Application"
    icon = "fa-solid fa-folder-open"
    category = CASES
    link_column = "number"
    column_list = ["number", "applicant_id", "route", "status", "target_region_id", "submitted_at", "due_date",
                   "decided_at"]
    column_details_exclude_list = ["owner_subject"]
    column_labels = labels("number", "status", "occupation_id", "quota_id", "updated_at", route="Route",
                           target_region_id="Target region", submitted_at="Submitted", due_date="Due",
                           decided_at="Decided", citizenship="Citizenship", document_number="Document number",
                           iin="IIN", decision_reason="Decision reason", seats="Seats taken", applicant_id="Applicant")
    column_searchable_list = ["number", "document_number", "iin"]
    column_sortable_list = ["number", "route", "status", "submitted_at", "due_date", "decided_at"]
    column_default_sort = ("submitted_at", True)
    column_filters = [enum_filter(Application.status, ApplicationStatus, "Status"),
                      enum_filter(Application.route, Route, "Route"),
                      region_filter(Application.target_region_id, "Target region"),
                      OperationColumnFilter(Application.due_date, title="Due date")]
