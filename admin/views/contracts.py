"""Social contracts and their ledgers (support paid, terminations, refunds),
read-only: ``services.contracts`` writes them."""

from __future__ import annotations

from sqladmin.filters import OperationColumnFilter

from admin.views.common import CaseView, enum_filter, labels, region_filter
from models import ContractTermination, RefundPayment, SocialContract, SupportPayment
from models.enums import ContractStatus, TerminationReason


class SocialContractAdmin(CaseView, model=SocialContract):
    name = "Social contract"
    icon = "fa-solid fa-file-signature"
    link_column = "number"
    column_list = ["number", "application_id", "region_id", "family_size", "start_date", "end_date", "status",
                   "total_support"]
    column_labels = labels("number", "application_id", "region_id", "status", "created_at", family_size="Family size",
                           start_date="Start", end_date="End", total_support="Support received (tenge)")
    column_searchable_list = ["number"]
    column_sortable_list = ["number", "start_date", "end_date", "status", "total_support"]
    column_default_sort = ("created_at", True)
    column_filters = [enum_filter(SocialContract.status, ContractStatus, "Status"),
                      region_filter(SocialContract.region_id)]


class SupportPaymentAdmin(CaseView, model=SupportPayment):
    name = "Support payment"
    icon = "fa-solid fa-money-bill-transfer"
    column_list = ["contract_id", "measure_id", "amount", "paid_on", "recorded_by", "recorded_at"]
    column_labels = labels("contract_id", "amount", "paid_on", "recorded_by", "recorded_at", measure_id="Measure")
    column_sortable_list = ["paid_on", "amount", "recorded_at"]
    column_default_sort = ("recorded_at", True)
    column_searchable_list = ["recorded_by"]
    column_filters = [OperationColumnFilter(SupportPayment.paid_on, title="Paid on")]


class TerminationAdmin(CaseView, model=ContractTermination):
    name = "Termination"
    icon = "fa-solid fa-file-circle-xmark"
    column_list = ["contract_id", "reason", "effective_date", "refund_due", "refund_paid", "recorded_by"]
    column_labels = labels("contract_id", "recorded_by", "recorded_at", "reason", effective_date="Effective",
                           refund_due="Refund due (tenge)", refund_paid="Refund paid (tenge)")
    column_sortable_list = ["effective_date", "refund_due", "refund_paid"]
    column_default_sort = ("recorded_at", True)
    column_filters = [enum_filter(ContractTermination.reason, TerminationReason, "Reason")]


class RefundPaymentAdmin(CaseView, model=RefundPayment):
    name = "Refund payment"
    icon = "fa-solid fa-rotate-left"
    column_list = ["contract_id", "amount", "paid_on", "recorded_by", "recorded_at"]
    column_labels = labels("contract_id", "amount", "paid_on", "recorded_by", "recorded_at")
    column_sortable_list = ["paid_on", "amount", "recorded_at"]
    column_default_sort = ("recorded_at", True)
