"""Scoring models (drafts written through ``services.scoring_models``; publishing
previews the what-if, then publishes and re-scores through
``services.jobs.publish_and_rescore``, as the API does) and the stored scores."""

from __future__ import annotations

from typing import Any

from sqladmin import action
from sqladmin.filters import BooleanFilter
from sqladmin.flash import flash
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from admin.auth import viewer_for
from admin.base import FormError, QonysModelView, ReadOnlyView, json_formatter
from admin.views.common import labels, CASES, QUOTAS, action_page, confirm_url, enum_filter, one_row_action, result_rows
from models import Score, ScoringModel
from models.enums import ScoringModelStatus
from services import fairness, jobs, scoring_models
from services.viewer import Viewer


class ScoringModelAdmin(QonysModelView, model=ScoringModel):
    name = "Scoring model"
    icon = "fa-solid fa-scale-balanced"
    category = QUOTAS
    column_list = ["version", "status", "effective_from", "pass_mark", "created_by", "created_at", "published_at"]
    column_labels = labels("status", "pass_mark", "created_at", version="Version", effective_from="Effective from",
                           definition="Definition (gates and criteria)", created_by="Created by",
                           published_at="Published")
    column_searchable_list = ["version"]
    column_sortable_list = ["version", "status", "effective_from", "created_at"]
    column_default_sort = ("effective_from", True)
    column_filters = [enum_filter(ScoringModel.status, ScoringModelStatus, "Status")]
    column_formatters_detail = {"definition": json_formatter}
    form_create_rules = ["version", "effective_from", "definition"]
    form_edit_rules = ["effective_from", "definition"]
    form_columns = ["version", "effective_from", "definition"]

    def edit_refusal(self, obj: Any) -> str | None:
        return scoring_models.edit_refusal(obj)

    async def create_row(self, session: AsyncSession, viewer: Viewer, data: dict[str, Any]) -> Any:
        return await scoring_models.create_scoring_model(
            session, viewer, version=str(data.get("version") or ""), effective_from=data["effective_from"],
            definition=data.get("definition"))

    async def update_row(self, session: AsyncSession, viewer: Viewer, pk: int, data: dict[str, Any]) -> Any:
        return await scoring_models.update_draft(session, viewer, model_id=pk, effective_from=data["effective_from"],
                                                 definition=data.get("definition"))

    async def delete_row(self, session: AsyncSession, viewer: Viewer, pk: int) -> None:
        await scoring_models.delete_draft(session, viewer, model_id=pk)

    @action(name="publish", label="Publish", add_in_list=True, add_in_detail=True)
    async def publish_action(self, request: Request) -> Response:
        title = "Publish a scoring model"
        viewer = viewer_for(request)

        async def work(model_id: int, confirm: bool) -> Response:
            if not confirm:
                async with self.sessions() as session:
                    model = await session.get(ScoringModel, model_id)
                    if model is None:
                        raise FormError("the scoring model no longer exists")
                    refusal = scoring_models.publish_refusal(model)
                    if refusal:
                        raise FormError(refusal)
                    simulation = await scoring_models.simulate(session, viewer, model_id)
                    report = await fairness.simulation_fairness(session, viewer, model_id)
                return await action_page(
                    self, request, title=title, rows=result_rows(simulation), fairness=report,
                    message=(f"What-if for version {model.version} (effective {model.effective_from.isoformat()}): "
                             f"{simulation.passed_now} of {simulation.evaluated} scored, undecided applications pass "
                             f"now; {simulation.passed_under_draft} would pass under this draft. "
                             "Nothing has been changed yet."),
                    confirm_url=confirm_url(request), confirm_label=f"Publish version {model.version}",
                )
            model, outcome = await jobs.publish_and_rescore(self.settings, self.sessions, viewer, model_id=model_id)
            flash(request, f"Version {model.version} is published.", category="success")
            flash(request, outcome.message, category="warning" if outcome.mode == "failed" else "info")
            return RedirectResponse(request.url_for("admin:details", identity=self.identity, pk=str(model.id)),
                                    status_code=302)

        return await one_row_action(self, request, title=title, choose="Choose exactly one DRAFT model to publish.",
                                    work=work)


class ScoreAdmin(ReadOnlyView, model=Score):
    name = "Score"
    icon = "fa-solid fa-star-half-stroke"
    category = CASES
    column_list = ["application_id", "model_version", "total", "max_total", "pass_mark", "passed", "computed_at"]
    column_labels = labels("application_id", "pass_mark", scoring_model_id="Scoring model",
                           model_version="Model version", total="Total", max_total="Of", passed="Passed",
                           result="Breakdown (gates and criteria)", computed_at="Computed")
    column_sortable_list = ["total", "passed", "computed_at", "model_version"]
    column_default_sort = ("computed_at", True)
    column_searchable_list = ["model_version"]
    column_filters = [BooleanFilter(Score.passed, title="Passed")]
    column_formatters_detail = {"result": json_formatter}
