"""What the views of every area share: the menu's categories, filters, and the
pages of the actions (choose one row, preview, confirm)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqladmin.filters import ForeignKeyFilter, StaticValuesFilter
from starlette.requests import Request
from starlette.responses import Response

from admin.base import CASES, SECURITY, FormError, QonysModelView, ReadOnlyView, service_error_message
from models import Agency, Region
from services.errors import ServiceError

class CaseView(ReadOnlyView):
    """What the services write about the cases (applications, contracts, their ledgers), read-only."""

    category = CASES


class AccessView(ReadOnlyView):
    """Who may do what and what was done (accounts, keys, the audit trail, webhooks), read-only."""

    category = SECURITY


# A column's label wherever a view shows it, unless the view gives its own.
LABELS = {
    "active": "Active", "agency_id": "Agency", "amount": "Amount (tenge)", "applicant_id": "Applicant",
    "application_id": "Application", "citizenship": "Citizenship", "code": "Code", "contract_id": "Contract",
    "created_at": "Created", "decided_at": "Decided", "decided_by": "Decided by",
    "document_number": "Document number", "due_date": "Due", "employer_id": "Employer", "kind": "Kind",
    "name": "Name", "name_en": "Name in English", "name_kk": "Name in Kazakh", "name_ru": "Name in Russian",
    "number": "Number", "occupation_id": "Occupation", "occurred_on": "Occurred on", "paid_on": "Paid on",
    "pass_mark": "Pass mark", "quota_id": "Quota", "reason": "Reason", "recorded_at": "Recorded",
    "recorded_by": "Recorded by", "region_id": "Region", "requested_at": "Requested", "status": "Status",
    "updated_at": "Updated", "valid_until": "Valid until", "year": "Year",
}


def labels(*columns: str, **own: str) -> dict[str, str]:
    """A view's ``column_labels``: those of ``columns`` from ``LABELS``, and its ``own``."""
    return {**{c: LABELS[c] for c in columns}, **own}


def enum_filter(column: Any, enum_cls: type, title: str) -> StaticValuesFilter:
    return StaticValuesFilter(column, values=[(m.value, m.value.replace("_", " ").capitalize()) for m in enum_cls],
                              title=title)


def region_filter(column: Any, title: str = "Region") -> ForeignKeyFilter:
    return ForeignKeyFilter(column, Region.name_en, foreign_model=Region, title=title)


def agency_filter(column: Any) -> ForeignKeyFilter:
    return ForeignKeyFilter(column, Agency.code, foreign_model=Agency, title="Agency")


async def action_page(view: QonysModelView, request: Request, **context: Any) -> Response:
    context.setdefault("model_view", view)
    context.setdefault("back_url", str(request.url_for("admin:list", identity=view.identity)))
    return await view.templates.TemplateResponse(request, "qonys/action.html", context)


def selected_pk(request: Request) -> int | None:
    pks = [p for p in request.query_params.get("pks", "").split(",") if p.strip()]
    if len(pks) != 1:
        return None
    try:
        return int(pks[0])
    except ValueError:
        return None


async def one_row_action(view: QonysModelView, request: Request, *, title: str, choose: str,
                         work: Callable[[int, bool], Awaitable[Response]]) -> Response:
    """An action on exactly one chosen row: ``work(pk, confirmed)`` answers (a
    preview until the administrator confirms); a refusal is shown on the page."""
    pk = selected_pk(request)
    if pk is None:
        return await action_page(view, request, title=title, error=choose)
    try:
        return await work(pk, request.query_params.get("confirm") == "1")
    except ServiceError as exc:
        return await action_page(view, request, title=title, error=service_error_message(exc))
    except FormError as exc:
        return await action_page(view, request, title=title, error=str(exc))


def confirm_url(request: Request) -> str:
    return str(request.url.include_query_params(confirm="1"))
