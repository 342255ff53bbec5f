"""Employers, work permits and violations (SPEC §15), read-only here (the services
write them: ``services.labour``), and the reference data behind them the
administrators edit: the suspension thresholds and the agencies' permissions."""

from __future__ import annotations

from admin.base import ReadOnlyView, ReferenceView
from admin.views.common import CaseView, agency_filter, enum_filter, labels, region_filter
from models import AgencyPermission, Employer, SuspensionRule, Violation, WorkPermit
from models.enums import PermitCategory, PermitStatus, ViolationKind

LABOUR = "Employers and permits"


class EmployerAdmin(ReadOnlyView, model=Employer):
    name = "Employer"
    icon = "fa-solid fa-industry"
    category = LABOUR
    column_list = ["bin", "name", "region_id", "local_cat1", "local_cat2", "local_cat3", "local_cat4",
                   "suspended_until", "created_at"]
    column_labels = labels("name", "region_id", "created_at", "updated_at", bin="BIN", local_cat1="Local, cat. 1",
                           local_cat2="Local, cat. 2", local_cat3="Local, cat. 3", local_cat4="Local, cat. 4",
                           suspended_until="Suspended until")
    column_searchable_list = ["bin", "name"]
    column_sortable_list = ["bin", "name", "suspended_until", "created_at"]
    column_default_sort = ("created_at", True)
    column_filters = [region_filter(Employer.region_id)]


class WorkPermitAdmin(ReadOnlyView, model=WorkPermit):
    name = "Work permit"
    icon = "fa-solid fa-id-badge"
    category = LABOUR
    column_list = ["number", "employer_id", "category", "occupation_id", "region_id", "workers", "valid_months",
                   "status", "valid_until", "places_used", "quota_id"]
    column_labels = labels("number", "occupation_id", "region_id", "status", "quota_id", "updated_at", "employer_id",
                           "valid_until", "requested_at", "decided_at", "decided_by", category="Category",
                           workers="Workers", valid_months="Months", valid_from="Valid from", places_used="Places used",
                           decision_reason="Reason")
    column_searchable_list = ["number"]
    column_sortable_list = ["number", "workers", "status", "valid_until", "requested_at"]
    column_default_sort = ("requested_at", True)
    column_filters = [enum_filter(WorkPermit.status, PermitStatus, "Status"),
                      enum_filter(WorkPermit.category, PermitCategory, "Category"), region_filter(WorkPermit.region_id)]


class ViolationAdmin(CaseView, model=Violation):
    name = "Violation"
    icon = "fa-solid fa-gavel"
    column_list = ["external_id", "kind", "occurred_on", "fine_mrp", "employer_id", "application_id", "recorded_by",
                   "recorded_at"]
    column_labels = labels("kind", "application_id", "recorded_by", "recorded_at", "occurred_on", "employer_id",
                           "applicant_id", "agency_id", external_id="External id", fine_mrp="Fine (MRP)")
    column_searchable_list = ["external_id", "recorded_by"]
    column_sortable_list = ["occurred_on", "fine_mrp", "recorded_at"]
    column_default_sort = ("recorded_at", True)
    column_filters = [enum_filter(Violation.kind, ViolationKind, "Kind"), agency_filter(Violation.agency_id)]


class SuspensionRuleAdmin(ReferenceView, model=SuspensionRule):
    name = "Suspension threshold"
    icon = "fa-solid fa-scale-balanced"
    column_list = ["code", "violations", "window_months", "suspension_months"]
    column_labels = labels("code", violations="Violations", window_months="Within (months)",
                           suspension_months="Suspended for (months)")


class AgencyPermissionAdmin(ReferenceView, model=AgencyPermission):
    name = "Agency permission"
    icon = "fa-solid fa-key"
    column_list = ["agency_id", "permission"]
    column_labels = labels("agency_id", permission="Permission")


VIEWS = [SuspensionRuleAdmin, AgencyPermissionAdmin]
READ_ONLY = [EmployerAdmin, WorkPermitAdmin, ViolationAdmin]
