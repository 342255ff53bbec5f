"""The admin panel's views: reference data administrators edit, and read-only
views of everything the services write."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import sqlalchemy as sa
import structlog
from sqladmin import action
from sqladmin.flash import flash
from sqladmin.filters import BooleanFilter, ForeignKeyFilter, OperationColumnFilter, StaticValuesFilter
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from wtforms import validators

from admin.auth import viewer_for
from admin.base import FormError, QonysModelView, ReadOnlyView, json_formatter, service_error_message
from models import (
    AdminAccount,
    Agency,
    AgencyApiKey,
    Application,
    AuditEvent,
    CheckType,
    CheckTypeGrant,
    ContractTermination,
    DeficitOccupation,
    MrpValue,
    Occupation,
    Quota,
    RefundPayment,
    Region,
    Score,
    ScoringModel,
    SelectionRound,
    SocialContract,
    SupportMeasure,
    SupportPayment,
    TerminationReasonRule,
)
from core.db import transaction
from models.enums import (
    AdminRole,
    ApplicationStatus,
    ContractStatus,
    QuotaKind,
    Route,
    ScoringModelStatus,
    TerminationReason,
)
from models.reference import KZ_REGION_CODES
from services import quotas as quota_service
from services import scoring_models
from services.errors import ServiceError
from services.viewer import Viewer

log = structlog.get_logger("qonys.admin")

REFERENCE = "Reference data"
QUOTAS = "Quotas and scoring"
CASES = "Applications and contracts"
SECURITY = "Access and audit"

YEAR_RANGE = validators.NumberRange(min=2000, max=2100, message="year must be between 2000 and 2100")


def enum_filter(column: Any, enum_cls: type, title: str) -> StaticValuesFilter:
    return StaticValuesFilter(column, values=[(m.value, m.value.replace("_", " ").capitalize()) for m in enum_cls],
                              title=title)


def region_filter(column: Any, title: str = "Region") -> ForeignKeyFilter:
    return ForeignKeyFilter(column, Region.name_en, foreign_model=Region, title=title)


async def action_page(view: QonysModelView, request: Request, **context: Any) -> Response:
    context.setdefault("model_view", view)
    context.setdefault("back_url", str(request.url_for("admin:list", identity=view.identity)))
    return await view.templates.TemplateResponse(request, "qonys/action.html", context)


def result_rows(result: Any) -> list[tuple[str, Any]]:
    """A service's answer as label/value pairs, whatever its shape."""
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        data = dataclasses.asdict(result)
    elif isinstance(result, dict):
        data = result
    elif hasattr(result, "__dict__"):
        data = {k: v for k, v in vars(result).items() if not k.startswith("_")}
    else:
        return [("result", result)]
    rows = []
    for key, value in data.items():
        label = re.sub(r"(?<!^)(?=[A-Z])", " ", key).replace("_", " ").lower()
        if isinstance(value, (list, tuple)) and len(value) > 50:
            value = f"{len(value)} items: " + ", ".join(map(str, value[:50])) + ", …"
        rows.append((label, value))
    return rows


def selected_pk(request: Request) -> int | None:
    pks = [p for p in request.query_params.get("pks", "").split(",") if p.strip()]
    if len(pks) != 1:
        return None
    try:
        return int(pks[0])
    except ValueError:
        return None


# ====================================================================== reference data


class RegionAdmin(QonysModelView, model=Region):
    name = "Region"
    name_plural = "Regions"
    icon = "fa-solid fa-map"
    category = REFERENCE
    column_list = ["code", "name_en", "name_ru", "name_kk", "kind", "labour_deficit"]
    column_labels = {
        "code": "Code (ISO 3166-2:KZ)", "name_kk": "Name in Kazakh", "name_ru": "Name in Russian",
        "name_en": "Name in English", "kind": "Kind", "labour_deficit": "Labour-deficit region",
    }
    column_searchable_list = ["code", "name_en", "name_ru", "name_kk"]
    column_sortable_list = ["code", "name_en", "labour_deficit"]
    column_default_sort = "code"
    column_filters = [BooleanFilter(Region.labour_deficit, title="Labour-deficit region")]
    form_columns = ["code", "name_kk", "name_ru", "name_en", "kind", "labour_deficit"]
    form_args = {
        "code": {"validators": [validators.AnyOf(
            KZ_REGION_CODES,
            message="the code must be an ISO 3166-2:KZ region code (KZ-10 … KZ-79)")]},
    }

    async def validate(self, session: AsyncSession, obj: Any, before: dict | None) -> None:
        if obj.code not in KZ_REGION_CODES:
            raise FormError(f"{obj.code!r} is not an ISO 3166-2:KZ region code; use one of {', '.join(KZ_REGION_CODES)}")


class OccupationAdmin(QonysModelView, model=Occupation):
    name = "Occupation"
    name_plural = "Occupations"
    icon = "fa-solid fa-briefcase"
    category = REFERENCE
    column_list = ["code", "name_en", "name_ru"]
    column_labels = {"code": "ISCO-08 code", "name_en": "Name in English", "name_ru": "Name in Russian"}
    column_searchable_list = ["code", "name_en", "name_ru"]
    column_sortable_list = ["code", "name_en"]
    column_default_sort = "code"
    form_args = {"code": {"validators": [validators.Regexp(r"^\d{4}$", message="an ISCO-08 unit group code has 4 digits")]}}

    async def validate(self, session: AsyncSession, obj: Any, before: dict | None) -> None:
        if not re.fullmatch(r"\d{4}", obj.code or ""):
            raise FormError("an ISCO-08 unit group code has 4 digits")


class DeficitOccupationAdmin(QonysModelView, model=DeficitOccupation):
    name = "Deficit occupation"
    name_plural = "Deficit occupations"
    icon = "fa-solid fa-user-plus"
    category = REFERENCE
    column_list = ["year", "region_id", "occupation_id"]
    column_labels = {"year": "Year", "region_id": "Region", "occupation_id": "Occupation"}
    column_sortable_list = ["year", "region_id", "occupation_id"]
    column_default_sort = [("year", True), ("region_id", False)]
    column_filters = [region_filter(DeficitOccupation.region_id), OperationColumnFilter(DeficitOccupation.year, title="Year")]
    form_columns = ["region_id", "occupation_id", "year"]
    form_args = {"year": {"validators": [YEAR_RANGE]}}


class AgencyAdmin(QonysModelView, model=Agency):
    name = "Agency"
    name_plural = "Agencies"
    icon = "fa-solid fa-building-shield"
    category = REFERENCE
    column_list = ["code", "name", "active"]
    column_labels = {"code": "Code", "name": "Name", "active": "Active"}
    column_searchable_list = ["code", "name"]
    column_sortable_list = ["code", "name", "active"]
    column_default_sort = "code"
    column_filters = [BooleanFilter(Agency.active, title="Active")]


class CheckTypeAdmin(QonysModelView, model=CheckType):
    name = "Check type"
    name_plural = "Check types"
    icon = "fa-solid fa-list-check"
    category = REFERENCE
    column_list = ["code", "name", "agency_id", "mandatory", "active"]
    column_labels = {"code": "Code", "name": "Name", "agency_id": "Owning agency", "mandatory": "Mandatory",
                     "active": "Active"}
    column_searchable_list = ["code", "name"]
    column_sortable_list = ["code", "name", "mandatory", "active"]
    column_default_sort = "code"
    column_filters = [ForeignKeyFilter(CheckType.agency_id, Agency.code, foreign_model=Agency, title="Agency"),
                      BooleanFilter(CheckType.mandatory, title="Mandatory"), BooleanFilter(CheckType.active, title="Active")]
    form_columns = ["code", "name", "agency_id", "mandatory", "active"]


class CheckTypeGrantAdmin(QonysModelView, model=CheckTypeGrant):
    name = "Check type grant"
    name_plural = "Check type grants"
    icon = "fa-solid fa-share-nodes"
    category = REFERENCE
    column_list = ["agency_id", "check_type_id"]
    column_labels = {"agency_id": "Agency that may read", "check_type_id": "Check type"}
    column_sortable_list = ["agency_id", "check_type_id"]
    column_filters = [ForeignKeyFilter(CheckTypeGrant.agency_id, Agency.code, foreign_model=Agency, title="Agency")]
    form_columns = ["agency_id", "check_type_id"]


class SupportMeasureAdmin(QonysModelView, model=SupportMeasure):
    name = "Support measure"
    name_plural = "Support measures"
    icon = "fa-solid fa-hand-holding-heart"
    category = REFERENCE
    column_list = ["code", "name", "cap_mrp", "per_family_member"]
    column_labels = {"code": "Code", "name": "Measure", "cap_mrp": "Cap (MRP)",
                     "per_family_member": "Cap is per family member"}
    column_searchable_list = ["code", "name"]
    column_sortable_list = ["code", "cap_mrp"]
    column_default_sort = "code"
    form_args = {"cap_mrp": {"validators": [validators.NumberRange(min=0, message="the cap may not be negative")]}}

    async def validate(self, session: AsyncSession, obj: Any, before: dict | None) -> None:
        if obj.cap_mrp is None or obj.cap_mrp < 0:
            raise FormError("the cap may not be negative")


class MrpValueAdmin(QonysModelView, model=MrpValue):
    name = "MRP value"
    name_plural = "MRP values"
    icon = "fa-solid fa-coins"
    category = REFERENCE
    column_list = ["year", "amount"]
    column_labels = {"year": "Year", "amount": "MRP (tenge)"}
    column_sortable_list = ["year", "amount"]
    column_default_sort = ("year", True)
    form_args = {"year": {"validators": [YEAR_RANGE]},
                 "amount": {"validators": [validators.NumberRange(min=0.01, message="the MRP must be positive")]}}

    async def validate(self, session: AsyncSession, obj: Any, before: dict | None) -> None:
        if obj.amount is None or obj.amount <= 0:
            raise FormError("the MRP must be positive")
        if obj.amount != obj.amount.quantize(obj.amount.__class__("0.01")):
            raise FormError("the MRP has at most two decimals")


class TerminationReasonAdmin(QonysModelView, model=TerminationReasonRule):
    name = "Termination reason"
    name_plural = "Termination reasons"
    icon = "fa-solid fa-door-open"
    category = REFERENCE
    column_list = ["code", "name", "refundable"]
    column_labels = {"code": "Reason", "name": "Description",
                     "refundable": "Refundable (the whole support must be returned)"}
    column_sortable_list = ["code", "refundable"]
    column_default_sort = "code"
    column_filters = [BooleanFilter(TerminationReasonRule.refundable, title="Refundable")]
    column_searchable_list = ["name"]


# ====================================================================== quotas and scoring


class QuotaAdmin(QonysModelView, model=Quota):
    name = "Quota"
    name_plural = "Quotas"
    icon = "fa-solid fa-people-group"
    category = QUOTAS
    column_list = ["kind", "year", "region_id", "capacity", "used", "occupation_id", "updated_at"]
    column_details_list = ["id", "kind", "year", "region_id", "occupation_id", "capacity", "used", "updated_at"]
    column_labels = {"kind": "Kind", "year": "Year", "region_id": "Region", "occupation_id": "Occupation (LABOUR)",
                     "capacity": "Capacity (people)", "used": "Seats used", "updated_at": "Updated"}
    column_sortable_list = ["kind", "year", "region_id", "capacity", "used", "updated_at"]
    column_default_sort = [("year", True), ("kind", False), ("region_id", False)]
    column_filters = [enum_filter(Quota.kind, QuotaKind, "Kind"), OperationColumnFilter(Quota.year, title="Year"),
                      region_filter(Quota.region_id)]
    form_columns = ["kind", "year", "region_id", "occupation_id", "capacity"]
    system_columns = ("used", "updated_at")
    hidden_in_audit = frozenset({"updated_at"})
    form_args = {"year": {"validators": [YEAR_RANGE]},
                 "capacity": {"validators": [validators.NumberRange(min=0, message="capacity must not be negative")]}}

    form_edit_rules = ["capacity"]
    edit_template = "qonys/quota_edit.html"

    def row_deletable(self, obj: Any) -> bool:
        return (obj.used or 0) == 0

    def refusal(self, obj: Any) -> str:
        return f"seats of this quota are already used ({obj.used}); it may not be deleted"

    @staticmethod
    async def _codes(session: AsyncSession, region_id: Any, occupation_id: Any) -> tuple[str, str | None]:
        region = await session.get(Region, region_id) if region_id is not None else None
        if region is None:
            raise FormError("region: choose a region")
        occupation = await session.get(Occupation, occupation_id) if occupation_id is not None else None
        return region.code, occupation.code if occupation is not None else None

    async def create_row(self, session: AsyncSession, viewer: Viewer, data: dict[str, Any]) -> Any:
        # The same service as the API's upsertQuota: same rules, same messages, audited there.
        region_code, occupation_code = await self._codes(session, data.get("region_id"), data.get("occupation_id"))
        if data.get("kind") in (None, ""):
            raise FormError("kind: choose KANDAS or LABOUR")
        return await quota_service.upsert_quota(
            session, viewer, kind=QuotaKind(data["kind"]), year=int(data.get("year") or 0), region_code=region_code,
            occupation_code=occupation_code, capacity=int(data["capacity"] if data.get("capacity") is not None else -1))

    async def update_row(self, session: AsyncSession, viewer: Viewer, pk: int, data: dict[str, Any]) -> Any:
        quota = await session.get(Quota, pk)
        if quota is None:
            raise FormError("the quota no longer exists")
        region_code, occupation_code = await self._codes(session, quota.region_id, quota.occupation_id)
        capacity = data.get("capacity")
        if capacity is None:
            raise FormError("capacity: enter the capacity in people")
        return await quota_service.upsert_quota(
            session, viewer, kind=quota.kind, year=quota.year, region_code=region_code,
            occupation_code=occupation_code, capacity=int(capacity))

    @action(name="run_selection_round", label="Run selection round", add_in_list=True, add_in_detail=True)
    async def run_selection_round_action(self, request: Request) -> Response:
        quota_id = selected_pk(request)
        title = "Run selection round"
        if quota_id is None:
            return await action_page(self, request, title=title, error="Choose exactly one KANDAS quota.")
        run = getattr(quota_service, "run_selection_round", None)
        if run is None:
            return await action_page(self, request, title=title, error=(
                "Selection rounds are not available in this installation yet "
                "(services.quotas.run_selection_round is missing). Nothing was changed."))
        viewer = viewer_for(request)
        confirm = request.query_params.get("confirm") == "1"
        try:
            async with transaction(self.sessions) as session:
                quota = await session.get(Quota, quota_id)
                if quota is None:
                    raise FormError("the quota no longer exists")
                region = await session.get(Region, quota.region_id)
                result = await run(session, viewer, quota_id=quota_id, dry_run=not confirm)
                rows, picks = await round_summary(session, result)
        except ServiceError as exc:
            return await action_page(self, request, title=title, error=service_error_message(exc))
        except FormError as exc:
            return await action_page(self, request, title=title, error=str(exc))
        where = f"the {quota.kind.value} quota {quota.year} of {region.code} {region.name_en}" if region else "the quota"
        if confirm:
            return await action_page(self, request, title=title, rows=rows, picks=picks,
                                     message=f"The selection round on {where} has run and is recorded.")
        return await action_page(
            self, request, title=title, rows=rows, picks=picks,
            message=(f"Dry run on {where}: nothing has been written yet. "
                     "Confirm to approve the applications listed below."),
            confirm_url=str(request.url.include_query_params(confirm="1")) if picks else None,
            confirm_label="Run the round and approve",
        )


async def round_summary(session: AsyncSession, result: Any) -> tuple[list[tuple[str, Any]], list[dict[str, Any]]]:
    """Rows and the approved applications of a selection round's result."""
    picks = list(getattr(result, "picks", None) or [])
    if not hasattr(result, "capacity"):
        return result_rows(result), []
    ids = [p.candidate.application_id for p in picks] + [c.application_id for c in getattr(result, "passed_over", [])]
    numbers: dict[int, str] = {}
    for i in range(0, len(ids), 1000):  # a large round approves more than one IN list should carry
        numbers.update((await session.execute(
            sa.select(Application.id, Application.number).where(Application.id.in_(ids[i:i + 1000])))).all())
    rows: list[tuple[str, Any]] = [
        ("capacity (people)", result.capacity),
        ("seats used before", result.used_before),
        ("applications approved" if not result.dry_run else "applications that would be approved", len(picks)),
        ("seats taken", result.seats_taken),
        ("cut-off score", "—" if result.cutoff_score is None else result.cutoff_score),
        ("passed over above the last approved (family does not fit)",
         ", ".join(numbers.get(c.application_id, str(c.application_id)) for c in result.passed_over) or "none"),
    ]
    candidates = getattr(result, "candidates", None)
    if candidates is not None:
        rows.insert(2, ("candidates ranked", candidates))
        rows.append(("ranked below the last approved one" if picks else "candidates not approved",
                     result.ranked_below))
    if getattr(result, "round_id", None):
        rows.insert(0, ("round", f"#{result.round_id}"))
    table = [{"rank": p.rank, "number": numbers.get(p.candidate.application_id, p.candidate.application_id),
              "id": p.candidate.application_id, "score": p.candidate.score, "seats": p.candidate.seats} for p in picks]
    return rows, table


class ScoringModelAdmin(QonysModelView, model=ScoringModel):
    name = "Scoring model"
    name_plural = "Scoring models"
    icon = "fa-solid fa-scale-balanced"
    category = QUOTAS
    column_list = ["version", "status", "effective_from", "pass_mark", "created_by", "created_at", "published_at"]
    column_labels = {"version": "Version", "status": "Status", "effective_from": "Effective from",
                     "pass_mark": "Pass mark", "definition": "Definition (gates and criteria)",
                     "created_by": "Created by", "created_at": "Created", "published_at": "Published"}
    column_searchable_list = ["version"]
    column_sortable_list = ["version", "status", "effective_from", "created_at"]
    column_default_sort = ("effective_from", True)
    column_filters = [enum_filter(ScoringModel.status, ScoringModelStatus, "Status")]
    column_formatters_detail = {"definition": json_formatter}
    form_create_rules = ["version", "effective_from", "definition"]
    form_edit_rules = ["effective_from", "definition"]
    form_columns = ["version", "effective_from", "definition"]

    def row_editable(self, obj: Any) -> bool:
        return obj.status == ScoringModelStatus.DRAFT

    def refusal(self, obj: Any) -> str:
        return (f"a {obj.status.value} model is never edited; only a DRAFT model may be changed — "
                "create a new version")

    async def create_row(self, session: AsyncSession, viewer: Viewer, data: dict[str, Any]) -> Any:
        definition = data.get("definition")
        if not isinstance(definition, dict):
            raise FormError("definition: the definition must be a JSON object")
        return await scoring_models.create_scoring_model(
            session, viewer, version=str(data.get("version") or ""), effective_from=data["effective_from"],
            definition=definition)

    async def update_row(self, session: AsyncSession, viewer: Viewer, pk: int, data: dict[str, Any]) -> Any:
        definition = data.get("definition")
        if not isinstance(definition, dict):
            raise FormError("definition: the definition must be a JSON object")
        return await scoring_models.update_draft(session, viewer, model_id=pk, effective_from=data["effective_from"],
                                                 definition=definition)

    @action(name="publish", label="Publish", add_in_list=True, add_in_detail=True)
    async def publish_action(self, request: Request) -> Response:
        model_id = selected_pk(request)
        title = "Publish a scoring model"
        if model_id is None:
            return await action_page(self, request, title=title, error="Choose exactly one DRAFT model to publish.")
        viewer = viewer_for(request)
        confirm = request.query_params.get("confirm") == "1"
        try:
            if not confirm:
                async with self.sessions() as session:
                    model = await session.get(ScoringModel, model_id)
                    if model is None:
                        raise FormError("the scoring model no longer exists")
                    if model.status != ScoringModelStatus.DRAFT:
                        raise FormError(f"the model is {model.status.value}; only a DRAFT model may be published")
                    simulation = await scoring_models.simulate(session, viewer, model_id)
                return await action_page(
                    self, request, title=title, rows=result_rows(simulation),
                    message=(f"What-if for version {model.version} (effective {model.effective_from.isoformat()}): "
                             f"{simulation.passed_now} of {simulation.evaluated} scored, undecided applications pass "
                             f"now; {simulation.passed_under_draft} would pass under this draft. "
                             "Nothing has been changed yet."),
                    confirm_url=str(request.url.include_query_params(confirm="1")),
                    confirm_label=f"Publish version {model.version}",
                )
            async with transaction(self.sessions) as session:
                model = await scoring_models.publish_scoring_model(session, viewer, model_id=model_id)
        except ServiceError as exc:
            return await action_page(self, request, title=title, error=service_error_message(exc))
        except FormError as exc:
            return await action_page(self, request, title=title, error=str(exc))
        flash(request, f"Version {model.version} is published.", category="success")
        try:
            from services import jobs

            outcome = await jobs.after_publish(self.settings, model.id, sessions=self.sessions)
        except ImportError:
            pass
        except Exception as exc:  # noqa: BLE001 - the model is published; re-scoring can be run again
            log.warning("admin.rescore_after_publish_failed", model=model.version, error=repr(exc))
            flash(request, f"Re-scoring did not start ({type(exc).__name__}); run `qonys rescore`.", category="warning")
        else:
            flash(request, outcome.message, category="info")
        return RedirectResponse(request.url_for("admin:details", identity=self.identity, pk=str(model.id)),
                                status_code=302)


# ====================================================================== read-only views


class ApplicationAdmin(ReadOnlyView, model=Application):
    name = "Application"
    name_plural = "Applications"
    icon = "fa-solid fa-folder-open"
    category = CASES
    column_list = ["number", "route", "status", "target_region_id", "occupation_id", "submitted_at", "due_date",
                   "decided_at"]
    column_details_exclude_list = ["owner_subject"]
    column_labels = {"number": "Number", "route": "Route", "status": "Status", "target_region_id": "Target region",
                     "occupation_id": "Occupation", "submitted_at": "Submitted", "due_date": "Due",
                     "decided_at": "Decided", "citizenship": "Citizenship", "document_number": "Document number",
                     "iin": "IIN", "decision_reason": "Decision reason", "seats": "Seats taken",
                     "quota_id": "Quota", "applicant_id": "Applicant", "updated_at": "Updated"}
    column_searchable_list = ["number", "document_number", "iin"]
    column_sortable_list = ["number", "route", "status", "submitted_at", "due_date", "decided_at"]
    column_default_sort = ("submitted_at", True)
    column_filters = [enum_filter(Application.status, ApplicationStatus, "Status"),
                      enum_filter(Application.route, Route, "Route"),
                      region_filter(Application.target_region_id, "Target region"),
                      OperationColumnFilter(Application.due_date, title="Due date")]


class ScoreAdmin(ReadOnlyView, model=Score):
    name = "Score"
    name_plural = "Scores"
    icon = "fa-solid fa-star-half-stroke"
    category = CASES
    column_list = ["application_id", "model_version", "total", "max_total", "pass_mark", "passed", "computed_at"]
    column_labels = {"application_id": "Application", "scoring_model_id": "Scoring model",
                     "model_version": "Model version", "total": "Total", "max_total": "Of", "pass_mark": "Pass mark",
                     "passed": "Passed", "result": "Breakdown (gates and criteria)", "computed_at": "Computed"}
    column_sortable_list = ["total", "passed", "computed_at", "model_version"]
    column_default_sort = ("computed_at", True)
    column_searchable_list = ["model_version"]
    column_filters = [BooleanFilter(Score.passed, title="Passed")]
    column_formatters_detail = {"result": json_formatter}


class SocialContractAdmin(ReadOnlyView, model=SocialContract):
    name = "Social contract"
    name_plural = "Social contracts"
    icon = "fa-solid fa-file-signature"
    category = CASES
    column_list = ["number", "application_id", "region_id", "family_size", "start_date", "end_date", "status",
                   "total_support"]
    column_labels = {"number": "Number", "application_id": "Application", "region_id": "Region",
                     "family_size": "Family size", "start_date": "Start", "end_date": "End", "status": "Status",
                     "total_support": "Support received (tenge)", "created_at": "Created"}
    column_searchable_list = ["number"]
    column_sortable_list = ["number", "start_date", "end_date", "status", "total_support"]
    column_default_sort = ("created_at", True)
    column_filters = [enum_filter(SocialContract.status, ContractStatus, "Status"),
                      region_filter(SocialContract.region_id)]


class SupportPaymentAdmin(ReadOnlyView, model=SupportPayment):
    name = "Support payment"
    name_plural = "Support payments"
    icon = "fa-solid fa-money-bill-transfer"
    category = CASES
    column_list = ["contract_id", "measure_id", "amount", "paid_on", "recorded_by", "recorded_at"]
    column_labels = {"contract_id": "Contract", "measure_id": "Measure", "amount": "Amount (tenge)",
                     "paid_on": "Paid on", "recorded_by": "Recorded by", "recorded_at": "Recorded"}
    column_sortable_list = ["paid_on", "amount", "recorded_at"]
    column_default_sort = ("recorded_at", True)
    column_searchable_list = ["recorded_by"]
    column_filters = [OperationColumnFilter(SupportPayment.paid_on, title="Paid on")]


class TerminationAdmin(ReadOnlyView, model=ContractTermination):
    name = "Termination"
    name_plural = "Terminations"
    icon = "fa-solid fa-file-circle-xmark"
    category = CASES
    column_list = ["contract_id", "reason", "effective_date", "refund_due", "refund_paid", "recorded_by"]
    column_labels = {"contract_id": "Contract", "reason": "Reason", "effective_date": "Effective",
                     "refund_due": "Refund due (tenge)", "refund_paid": "Refund paid (tenge)",
                     "recorded_by": "Recorded by", "recorded_at": "Recorded"}
    column_sortable_list = ["effective_date", "refund_due", "refund_paid"]
    column_default_sort = ("recorded_at", True)
    column_filters = [enum_filter(ContractTermination.reason, TerminationReason, "Reason")]


class RefundPaymentAdmin(ReadOnlyView, model=RefundPayment):
    name = "Refund payment"
    name_plural = "Refund payments"
    icon = "fa-solid fa-rotate-left"
    category = CASES
    column_list = ["contract_id", "amount", "paid_on", "recorded_by", "recorded_at"]
    column_labels = {"contract_id": "Contract", "amount": "Amount (tenge)", "paid_on": "Paid on",
                     "recorded_by": "Recorded by", "recorded_at": "Recorded"}
    column_sortable_list = ["paid_on", "amount", "recorded_at"]
    column_default_sort = ("recorded_at", True)


class SelectionRoundAdmin(ReadOnlyView, model=SelectionRound):
    name = "Selection round"
    name_plural = "Selection rounds"
    icon = "fa-solid fa-ranking-star"
    category = QUOTAS
    column_list = ["id", "quota_id", "ran_at", "ran_by", "cutoff_score", "seats_taken"]
    column_labels = {"id": "Round", "quota_id": "Quota", "ran_at": "Ran at", "ran_by": "Ran by",
                     "cutoff_score": "Cut-off score", "seats_taken": "Seats taken"}
    column_sortable_list = ["ran_at", "seats_taken", "cutoff_score"]
    column_default_sort = ("ran_at", True)
    column_searchable_list = ["ran_by"]


class AuditEventAdmin(ReadOnlyView, model=AuditEvent):
    name = "Audit event"
    name_plural = "Audit events"
    icon = "fa-solid fa-clipboard-list"
    category = SECURITY
    column_list = ["at", "actor_subject", "actor_role", "action", "entity_type", "entity_id"]
    column_labels = {"at": "When", "actor_subject": "Who", "actor_role": "Role", "action": "Action",
                     "entity_type": "Table", "entity_id": "Record", "changes": "Changes"}
    column_searchable_list = ["actor_subject", "action", "entity_type"]
    column_sortable_list = ["at", "actor_subject", "action", "entity_type"]
    column_default_sort = ("at", True)
    column_filters = [OperationColumnFilter(AuditEvent.entity_type, title="Table"),
                      OperationColumnFilter(AuditEvent.actor_subject, title="Who"),
                      OperationColumnFilter(AuditEvent.at, title="When")]
    column_formatters_detail = {"changes": json_formatter}


class AdminAccountAdmin(ReadOnlyView, model=AdminAccount):
    name = "Admin account"
    name_plural = "Admin accounts"
    icon = "fa-solid fa-user-shield"
    category = SECURITY
    column_list = ["username", "role", "active", "created_at", "last_login_at"]
    column_details_list = ["id", "username", "role", "active", "created_at", "last_login_at"]
    column_export_list = ["username", "role", "active", "created_at", "last_login_at"]
    column_labels = {"username": "Username", "role": "Role", "active": "Active", "created_at": "Created",
                     "last_login_at": "Last login"}
    column_searchable_list = ["username"]
    column_sortable_list = ["username", "role", "last_login_at"]
    column_default_sort = "username"
    column_filters = [enum_filter(AdminAccount.role, AdminRole, "Role"), BooleanFilter(AdminAccount.active, title="Active")]


class AgencyApiKeyAdmin(ReadOnlyView, model=AgencyApiKey):
    name = "Agency API key"
    name_plural = "Agency API keys"
    icon = "fa-solid fa-key"
    category = SECURITY
    column_list = ["prefix", "agency_id", "label", "created_at", "last_used_at", "revoked_at"]
    column_details_list = ["id", "prefix", "agency_id", "label", "created_at", "last_used_at", "revoked_at"]
    column_export_list = ["prefix", "agency_id", "label", "created_at", "last_used_at", "revoked_at"]
    column_labels = {"prefix": "Key prefix", "agency_id": "Agency", "label": "Label", "created_at": "Created",
                     "last_used_at": "Last used", "revoked_at": "Revoked"}
    column_searchable_list = ["prefix", "label"]
    column_sortable_list = ["created_at", "last_used_at", "revoked_at"]
    column_default_sort = ("created_at", True)
    column_filters = [ForeignKeyFilter(AgencyApiKey.agency_id, Agency.code, foreign_model=Agency, title="Agency")]

    @action(name="revoke", label="Revoke", add_in_list=True, add_in_detail=True)
    async def revoke_action(self, request: Request) -> Response:
        key_id = selected_pk(request)
        title = "Revoke an agency API key"
        if key_id is None:
            return await action_page(self, request, title=title, error="Choose exactly one key to revoke.")
        from services.auth import revoke_agency_key

        viewer = viewer_for(request)
        try:
            async with self.sessions() as session:
                key = await session.get(AgencyApiKey, key_id)
            if key is None:
                raise FormError("the key no longer exists")
            if request.query_params.get("confirm") != "1":
                return await action_page(
                    self, request, title=title,
                    message=f"The key {key.prefix}… will stop working at once. This cannot be undone.",
                    confirm_url=str(request.url.include_query_params(confirm="1")), confirm_label="Revoke the key")
            async with transaction(self.sessions) as session:
                await revoke_agency_key(session, viewer, key.prefix)
        except ServiceError as exc:
            return await action_page(self, request, title=title, error=service_error_message(exc))
        except FormError as exc:
            return await action_page(self, request, title=title, error=str(exc))
        return await action_page(self, request, title=title, message=f"The key {key.prefix}… is revoked.")


EDITABLE_VIEWS: list[type[QonysModelView]] = [
    RegionAdmin, OccupationAdmin, DeficitOccupationAdmin, AgencyAdmin, CheckTypeAdmin, CheckTypeGrantAdmin,
    SupportMeasureAdmin, MrpValueAdmin, TerminationReasonAdmin, QuotaAdmin, ScoringModelAdmin,
]
READ_ONLY_VIEWS: list[type[QonysModelView]] = [
    ApplicationAdmin, ScoreAdmin, SocialContractAdmin, SupportPaymentAdmin, TerminationAdmin, RefundPaymentAdmin,
    SelectionRoundAdmin, AuditEventAdmin, AdminAccountAdmin, AgencyApiKeyAdmin,
]
ALL_VIEWS: list[type[QonysModelView]] = EDITABLE_VIEWS + READ_ONLY_VIEWS
