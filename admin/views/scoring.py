"""Scoring models (drafts written through ``services.scoring_models``; publishing
previews the what-if, then publishes and re-scores through
``services.jobs.publish_and_rescore``, as the API does) and the stored scores."""

from __future__ import annotations

from typing import Any

import datetime as dt
import json

from markupsafe import Markup
from sqladmin import action, expose
from sqladmin.filters import BooleanFilter
from sqladmin.flash import flash
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from admin import model_editor as editor_form
from admin.auth import is_read_only, viewer_for
from admin.i18n import in_language
from admin.base import FormError, QUOTAS, QonysModelView, json_formatter
from admin.views.common import CaseView, action_page, confirm_url, enum_filter, labels, one_row_action
from core.text import t
from models import Score, ScoringModel
from models.enums import ScoringModelStatus
from core.db import transaction
from services import fairness, jobs, scoring_models
from services import labels as record_labels
from services.errors import ServiceError
from services.scoring import ScoreResult
from services.viewer import Viewer


def editor_link(request: Request, model: ScoringModel) -> Markup:
    """The version, linking to the model's rows in the editor."""
    url = request.url_for("admin:view-scoring-model-editor", pk=str(model.id))
    return Markup('<a href="{}" title="gates and criteria">{}</a>').format(url, model.version)


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
    column_formatters = {"version": lambda m, a, request: editor_link(request, m)}
    column_formatters_detail = {"definition": json_formatter, "version": lambda m, a, request: editor_link(request, m)}
    form_create_rules = ["version", "effective_from", "definition"]
    form_edit_rules = ["effective_from", "definition"]
    form_columns = ["version", "effective_from", "definition"]

    def edit_refusal(self, obj: Any) -> str | None:
        return scoring_models.edit_refusal(obj)

    @expose("/editor/{pk:int}", methods=["GET", "POST"])  # no number: Starlette's 404
    async def editor(self, request: Request) -> Response:
        """Gates and criteria as rows; saved through services.scoring_models (a draft is updated,
        a published model gives a new draft), each of its errors next to its row."""
        async with self.sessions() as session:
            model = await session.get(ScoringModel, request.path_params["pk"])
        if model is None:
            raise HTTPException(status_code=404)
        draft = model.status == ScoringModelStatus.DRAFT
        general: list[str] = []
        if request.method == "GET":
            rows = editor_form.rows_of(model.definition)
            values = {"pass_mark": str(model.definition.get("passMark", "")), "version": "",
                      "effective_from": model.effective_from.isoformat(),
                      "pass_mark_basis": editor_form.basis_text(model.definition.get("passMarkBasis"))}
        else:
            form = await request.form()
            rows = editor_form.rows_from_form(form)
            values = {k: str(form.get(n) or "").strip() for k, n in
                      (("pass_mark", "passMark"), ("version", "version"), ("effective_from", "effective_from"),
                       ("pass_mark_basis", "passMarkBasis"))}
            definition, places = editor_form.definition_of(values["pass_mark"], rows, values["pass_mark_basis"])
            saved: ScoringModel | None = None
            try:
                # rows the form cannot read carry their own error; the rest is the service's to judge
                saved = None if editor_form.has_row_errors(rows) else await self._save_rows(
                    request, model, draft, definition, values)
            except ServiceError as exc:
                general = editor_form.place_errors([(e.field, e.message) for e in exc.errors], rows, places)
            except FormError as exc:
                general = [str(exc)]
            if saved is not None:
                flash(request, t("Draft {version} is saved.", version=saved.version), category="success")
                return RedirectResponse(request.url_for("admin:view-scoring-model-editor", pk=str(saved.id)),
                                        status_code=303)
        return await self.templates.TemplateResponse(request, "qonys/model_editor.html", {
            "title": "Scoring model editor", "model": model, "draft": draft, "rows": rows, "general": general,
            "locked": is_read_only(request), "sources": editor_form.sources(),
            "source_names": {s for s, _ in editor_form.sources()}, **values,
            "stored_json": json.dumps(model.definition, ensure_ascii=False, indent=2),
        }, status_code=400 if request.method == "POST" else 200)

    async def _save_rows(self, request: Request, model: ScoringModel, draft: bool, definition: dict[str, Any],
                         values: dict[str, str]) -> ScoringModel:
        viewer = self._writer(request)
        try:
            effective_from = dt.date.fromisoformat(values["effective_from"])
        except ValueError:
            raise FormError(t("effective from: choose a date")) from None
        async with transaction(self.sessions) as session:
            if draft:
                return await scoring_models.update_draft(session, viewer, model_id=model.id,
                                                         effective_from=effective_from, definition=definition)
            return await scoring_models.create_scoring_model(session, viewer, version=values["version"],
                                                             effective_from=effective_from, definition=definition)

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
        title = t("Publish a scoring model")
        viewer = viewer_for(request)

        async def work(model_id: int, confirm: bool) -> Response:
            if not confirm:
                async with self.sessions() as session:
                    model = await session.get(ScoringModel, model_id)
                    if model is None:
                        raise FormError(t("the scoring model no longer exists"))
                    refusal = scoring_models.publish_refusal(model)
                    if refusal:
                        raise FormError(refusal)
                    simulation = await scoring_models.simulate(session, viewer, model_id)
                    report = await fairness.simulation_fairness(session, viewer, model_id)
                    changes = await what_if_changes(session, simulation)
                return await action_page(
                    self, request, title=title, rows=simulation_rows(simulation), changes=changes, fairness=report,
                    message=t("What-if for version {version} (effective {effective}): {passed_now} of {evaluated} "
                              "scored, undecided applications pass now; {passed_draft} would pass under this draft. "
                              "Nothing has been changed yet.", version=model.version, effective=model.effective_from,
                              passed_now=simulation.passed_now, evaluated=simulation.evaluated,
                              passed_draft=simulation.passed_under_draft),
                    confirm_url=confirm_url(request), confirm_label=t("Publish version {version}",
                                                                      version=model.version),
                )
            model, outcome = await jobs.publish_and_rescore(self.settings, self.sessions, viewer, model_id=model_id)
            flash(request, in_language(t("Version {version} is published.", version=model.version)), category="success")
            flash(request, in_language(outcome.message), category="warning" if outcome.mode == "failed" else "info")
            return RedirectResponse(request.url_for("admin:details", identity=self.identity, pk=str(model.id)),
                                    status_code=302)

        return await one_row_action(self, request, title=title, choose=t("Choose exactly one DRAFT model to publish."),
                                    work=work)


WHAT_IF_SHOWN = 500


def simulation_rows(simulation: scoring_models.Simulation) -> list[tuple[str, Any]]:
    return [(t("evaluated (scored, undecided applications)"), simulation.evaluated),
            (t("passing now"), simulation.passed_now),
            (t("passing under this draft"), simulation.passed_under_draft),
            (t("newly passing"), len(simulation.newly_passing_ids)),
            (t("newly failing"), len(simulation.newly_failing_ids)),
            (t("scores that change"), len(simulation.changes))]


async def what_if_changes(session: AsyncSession, simulation: scoring_models.Simulation) -> list[dict[str, Any]]:
    """The applications whose score the draft changes, by their number and applicant, newly passing
    and failing first."""
    ordered = sorted(simulation.changes, key=lambda c: (c.passed_now == c.passed_under_draft, c.application_id))
    shown = ordered[:WHAT_IF_SHOWN]
    names = await record_labels.labels(session, "application", [c.application_id for c in shown])
    return [{"id": c.application_id, "label": names.get(c.application_id, f"#{c.application_id}"),
             "before": c.total_now, "after": c.total_under_draft, "delta": c.total_under_draft - c.total_now,
             "passed_before": c.passed_now, "passed_after": c.passed_under_draft} for c in shown]


class ScoreAdmin(CaseView, model=Score):
    name = "Score"
    icon = "fa-solid fa-star-half-stroke"
    column_list = ["application_id", "model_version", "total", "max_total", "pass_mark", "passed", "computed_at"]
    column_labels = labels("application_id", "pass_mark", scoring_model_id="Scoring model",
                           model_version="Model version", total="Total", max_total="Of", passed="Passed",
                           result="Breakdown (gates and criteria)", computed_at="Computed")
    column_sortable_list = ["total", "passed", "computed_at", "model_version"]
    column_default_sort = ("computed_at", True)
    column_searchable_list = ["model_version"]
    column_filters = [BooleanFilter(Score.passed, title="Passed")]
    column_details_exclude_list = ["result", "rendered_gates", "rendered_breakdown"]  # the table shows them
    details_template = "qonys/score.html"

    async def details_context(self, request: Request) -> dict[str, Any]:
        """The breakdown as a table (the stored JSON read back by the scoring engine's own type)."""
        async with self.sessions() as session:
            score = await session.get(Score, self._pk(request.path_params.get("pk")))
        return {"score_result": ScoreResult.from_stored(score.result, score.explanation) if score is not None and score.result else None}
