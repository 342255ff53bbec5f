"""Living in the region (SPEC §13): residence events (read-only, reported through
the API) and breach cases, resolved by the action below through
``services.residence`` (a confirmation terminates the contract there, through the
one termination rule); the agency grants administrators edit."""

from __future__ import annotations

from typing import Any

from sqladmin import action
from sqladmin.filters import OperationColumnFilter
from starlette.requests import Request
from starlette.responses import Response

from admin.base import FormError, ReferenceView
from admin.views.common import CaseView, agency_filter, enum_filter, labels, one_row_action, region_filter
from core.db import transaction
from models import AgencyGrant, ContractBreach, Region, ResidenceEvent, SocialContract
from models.enums import BreachOutcome, BreachStatus, ResidenceEventKind
from services import residence


class ResidenceEventAdmin(CaseView, model=ResidenceEvent):
    name = "Residence event"
    icon = "fa-solid fa-house-flag"
    column_list = ["occurred_on", "kind", "region_id", "contract_id", "breach_id", "agency_id", "external_id",
                   "recorded_at"]
    column_labels = labels("region_id", "contract_id", "recorded_at", "kind", "occurred_on", "citizenship",
                           "document_number", breach_id="Breach case", agency_id="Reported by",
                           external_id="Reporter's reference")
    column_searchable_list = ["external_id", "document_number"]
    column_sortable_list = ["occurred_on", "kind", "recorded_at"]
    column_default_sort = ("recorded_at", True)
    column_filters = [enum_filter(ResidenceEvent.kind, ResidenceEventKind, "Kind"), region_filter(ResidenceEvent.region_id),
                      agency_filter(ResidenceEvent.agency_id),
                      OperationColumnFilter(ResidenceEvent.occurred_on, title="Occurred on")]


class ContractBreachAdmin(CaseView, model=ContractBreach):
    name = "Breach case"
    icon = "fa-solid fa-person-walking-luggage"
    column_list = ["id", "contract_id", "status", "opened_on", "opened_at", "resolved_at", "resolved_by"]
    column_labels = labels("contract_id", "status", id="Case", opened_on="Left on", opened_at="Opened",
                           resolved_at="Resolved", resolved_by="Resolved by", note="Note")
    column_sortable_list = ["opened_on", "opened_at", "status", "resolved_at"]
    column_default_sort = ("opened_at", True)
    column_searchable_list = ["resolved_by", "note"]
    column_filters = [enum_filter(ContractBreach.status, BreachStatus, "Status"),
                      OperationColumnFilter(ContractBreach.opened_on, title="Left on")]

    @action(name="resolve_breach", label="Resolve breach case", add_in_list=True, add_in_detail=True)
    async def resolve_breach_action(self, request: Request) -> Response:
        title = "Resolve breach case"

        async def work(breach_id: int, confirm: bool) -> Response:
            outcome = request.query_params.get("outcome")
            if confirm:
                viewer = self._writer(request)
                if outcome not in {o.value for o in BreachOutcome}:
                    raise FormError("choose CONFIRMED or DISMISSED")
                async with transaction(self.sessions) as session:
                    case = await residence.resolve_breach(session, viewer, breach_id=breach_id,
                                                          outcome=BreachOutcome(outcome),
                                                          note=request.query_params.get("note"))
                    rows = await case_rows(session, case)
                done = ("The breach is confirmed: the contract is terminated (LEFT_REGION) and the whole support is "
                        "to be refunded." if case.status == BreachStatus.CONFIRMED
                        else "The case is dismissed; the contract stays ACTIVE.")
                return await self.templates.TemplateResponse(request, "qonys/breach_resolve.html", {
                    "model_view": self, "title": title, "rows": rows, "message": done,
                    "back_url": str(request.url_for("admin:list", identity=self.identity))})
            async with self.sessions() as session:
                case = await session.get(ContractBreach, breach_id)
                if case is None:
                    raise FormError("the breach case no longer exists")
                rows = await case_rows(session, case)
            return await self.templates.TemplateResponse(request, "qonys/breach_resolve.html", {
                "model_view": self, "title": title, "rows": rows, "open": case.status == BreachStatus.OPEN,
                "pks": breach_id, "outcomes": [o.value for o in BreachOutcome],
                "back_url": str(request.url_for("admin:list", identity=self.identity))})

        return await one_row_action(self, request, title=title, choose="Choose exactly one breach case.", work=work)


async def case_rows(session: Any, case: ContractBreach) -> list[tuple[str, Any]]:
    """What an officer reads before resolving a case: the contract, and the events attached."""
    contract = await session.get(SocialContract, case.contract_id)
    events = await residence.breach_events(session, case.id)
    region = await session.get(Region, contract.region_id)
    return [
        ("case", f"#{case.id}, {case.status.value}"),
        ("contract", f"{contract.number} ({contract.status.value}, region {region.code}, "
                     f"{contract.start_date} to {contract.end_date})"),
        ("support received (tenge)", contract.total_support),
        ("left on (the termination's date if confirmed)", case.opened_on),
        ("events", "; ".join(f"{e.occurred_on} {e.kind.value} {code}" for e, code in events) or "none"),
        ("resolved", f"{case.resolved_at:%Y-%m-%d} by {case.resolved_by}: {case.note}" if case.resolved_at else "—"),
    ]


class AgencyGrantAdmin(ReferenceView, model=AgencyGrant):
    name = "Agency grant"
    icon = "fa-solid fa-id-card-clip"
    column_list = ["agency_id", "kind"]
    column_labels = labels("kind", "agency_id")
    column_sortable_list = ["agency_id", "kind"]
    column_filters = [agency_filter(AgencyGrant.agency_id)]
    form_columns = ["agency_id", "kind"]


VIEWS = [ResidenceEventAdmin, ContractBreachAdmin]
