"""Quotas (written through ``services.quotas``, as the API's upsertQuota) and
selection rounds: the action that runs one, with a dry run first."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape
from sqladmin import action
from sqladmin.filters import OperationColumnFilter
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from admin.auth import viewer_for
from admin.base import FormError, QUOTAS, QonysModelView, ReadOnlyView, ServiceRule
from admin.views.common import action_page, confirm_url, enum_filter, labels, one_row_action, region_filter
from core.db import transaction
from core.text import Names, t
from models import Occupation, Quota, Region, SelectionRound
from models.enums import QuotaKind
from services import fairness, quotas
from services import labels as record_labels
from services.reference import YEAR_MAX, YEAR_MIN, year_problem
from services.viewer import Viewer


class QuotaAdmin(QonysModelView, model=Quota):
    name = "Quota"
    icon = "fa-solid fa-people-group"
    category = QUOTAS
    column_list = ["kind", "year", "region_id", "capacity", "used", "occupation_id", "updated_at"]
    column_details_list = ["id", "kind", "year", "region_id", "occupation_id", "capacity", "used", "updated_at"]
    column_labels = labels("kind", "year", "region_id", "updated_at", occupation_id="Occupation (LABOUR)",
                           capacity="Capacity (people)", used="Seats used")
    column_sortable_list = ["kind", "year", "region_id", "capacity", "used", "updated_at"]
    column_default_sort = [("year", True), ("kind", False), ("region_id", False)]
    column_filters = [enum_filter(Quota.kind, QuotaKind, "Kind"), OperationColumnFilter(Quota.year, title="Year"),
                      region_filter(Quota.region_id)]
    form_columns = ["kind", "year", "region_id", "occupation_id", "capacity"]
    form_args = {"year": {"validators": [ServiceRule(year_problem, min=YEAR_MIN, max=YEAR_MAX)]},
                 "capacity": {"validators": [ServiceRule(quotas.capacity_problem, min=0)]}}

    form_edit_rules = ["capacity"]
    edit_template = "qonys/quota_edit.html"

    def delete_refusal(self, obj: Any) -> str | None:
        return quotas.delete_refusal(obj)

    @staticmethod
    async def _codes(session: AsyncSession, region_id: Any, occupation_id: Any) -> tuple[str, str | None]:
        region = await session.get(Region, region_id) if region_id is not None else None
        if region is None:
            raise FormError(t("region: choose a region"))
        occupation = await session.get(Occupation, occupation_id) if occupation_id is not None else None
        return region.code, occupation.code if occupation is not None else None

    async def create_row(self, session: AsyncSession, viewer: Viewer, data: dict[str, Any]) -> Any:
        # The same service as the API's upsertQuota: same rules, same messages, audited there.
        region_code, occupation_code = await self._codes(session, data.get("region_id"), data.get("occupation_id"))
        if data.get("kind") in (None, ""):
            raise FormError(t("kind: choose KANDAS or LABOUR"))
        return await quotas.upsert_quota(
            session, viewer, kind=QuotaKind(data["kind"]), year=int(data.get("year") or 0), region_code=region_code,
            occupation_code=occupation_code, capacity=int(data["capacity"] if data.get("capacity") is not None else -1))

    async def update_row(self, session: AsyncSession, viewer: Viewer, pk: int, data: dict[str, Any]) -> Any:
        quota = await session.get(Quota, pk)
        if quota is None:
            raise FormError(t("the quota no longer exists"))
        region_code, occupation_code = await self._codes(session, quota.region_id, quota.occupation_id)
        capacity = data.get("capacity")
        if capacity is None:
            raise FormError(t("capacity: enter the capacity in people"))
        return await quotas.upsert_quota(
            session, viewer, kind=quota.kind, year=quota.year, region_code=region_code,
            occupation_code=occupation_code, capacity=int(capacity))

    async def delete_row(self, session: AsyncSession, viewer: Viewer, pk: int) -> None:
        await quotas.delete_quota(session, viewer, quota_id=pk)

    @action(name="run_selection_round", label="Run selection round", add_in_list=True, add_in_detail=True)
    async def run_selection_round_action(self, request: Request) -> Response:
        title = t("Run selection round")

        async def work(quota_id: int, confirm: bool) -> Response:
            async with transaction(self.sessions) as session:
                quota = await session.get(Quota, quota_id)
                if quota is None:
                    raise FormError(t("the quota no longer exists"))
                region = await session.get(Region, quota.region_id)
                result = await quotas.run_selection_round(session, viewer_for(request), quota_id=quota_id,
                                                          dry_run=not confirm)
                rows, picks = await round_summary(session, result)
                report = fairness.approval_report(viewer_for(request), result.group_counts)
            where = t("the {kind} quota {year} of {code} {region}", kind=quota.kind.value, year=quota.year,
                      code=region.code, region=Names(region.name_en, region.name_kk, region.name_ru))
            if confirm:
                return await action_page(self, request, title=title, rows=rows, picks=picks, fairness=report,
                                         message=t("The selection round on {where} has run and is recorded.",
                                                   where=where))
            return await action_page(
                self, request, title=title, rows=rows, picks=picks, fairness=report,
                message=t("Dry run on {where}: nothing has been written yet. Confirm to approve the applications "
                          "listed below.", where=where),
                confirm_url=confirm_url(request) if picks else None,
                confirm_label=t("Run the round and approve"),
            )

        return await one_row_action(self, request, title=title, choose=t("Choose exactly one KANDAS quota."), work=work)


async def round_summary(session: AsyncSession, result: quotas.RoundResult
                        ) -> tuple[list[tuple[str, Any]], list[dict[str, Any]]]:
    """Rows and the approved applications of a selection round's result."""
    picks = result.picks
    ids = [p.candidate.application_id for p in picks] + [c.application_id for c in result.passed_over]
    numbers = await record_labels.labels(session, "application", ids)  # number · applicant
    rows: list[tuple[str, Any]] = [
        ("capacity (people)", result.capacity),
        ("seats used before", result.used_before),
        ("candidates ranked", result.candidates),
        ("applications approved" if not result.dry_run else "applications that would be approved", len(picks)),
        ("seats taken", result.seats_taken),
        ("cut-off score", "—" if result.cutoff_score is None else result.cutoff_score),
        ("passed over above the last approved (family does not fit)",
         ", ".join(numbers.get(c.application_id, str(c.application_id)) for c in result.passed_over) or "none"),
        ("ranked below the last approved one" if picks else "candidates not approved", result.ranked_below),
    ]
    if result.round_id:
        rows.insert(0, ("round", f"#{result.round_id}"))
    table = [{"rank": p.rank, "number": numbers.get(p.candidate.application_id, p.candidate.application_id),
              "id": p.candidate.application_id, "score": p.candidate.score, "seats": p.candidate.seats} for p in picks]
    return rows, table


def fairness_formatter(model: Any, attribute: str) -> Markup:
    """A round's fairness counts as the four-fifths report (``services.fairness``)."""
    counts = getattr(model, attribute)
    if counts is None:
        return Markup("not counted (the round ran before the fairness check was recorded)")
    report = fairness.report(counts, fairness.APPROVAL_RATE)
    lines = [f"{g.dimension.value.replace('_', ' ').lower()} {g.group}: {g.selected}/{g.total} "
             f"({g.rate:.1%}){' — below 4/5 of the highest' if g.flagged else ''}" for g in report.groups]
    return Markup("<br>").join(escape(line) for line in lines)


class SelectionRoundAdmin(ReadOnlyView, model=SelectionRound):
    name = "Selection round"
    icon = "fa-solid fa-ranking-star"
    category = QUOTAS
    column_list = ["quota_id", "ran_at", "ran_by", "cutoff_score", "seats_taken"]
    column_labels = labels("quota_id", id="Round", ran_at="Ran at", ran_by="Ran by", cutoff_score="Cut-off score",
                           seats_taken="Seats taken")
    column_sortable_list = ["ran_at", "seats_taken", "cutoff_score"]
    column_default_sort = ("ran_at", True)
    column_searchable_list = ["ran_by"]
    column_details_list = ["id", "quota_id", "ran_at", "ran_by", "cutoff_score", "seats_taken", "seats_offered",
                           "group_counts"]
    column_labels = {**column_labels, "seats_offered": "Seats offered", "group_counts": "Fairness check"}
    column_formatters_detail = {"group_counts": fairness_formatter}
