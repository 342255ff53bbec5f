"""Scoring model versions over GraphQL: drafts, validation with JSON paths,
publishing rules, what-if simulation, and re-scoring after a publish."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

import models as m
from models.enums import ApplicationStatus, ScoringModelStatus
from services.default_model import DEFAULT_MODEL_DEFINITION
from tests.conftest import GQL
from tests.helpers_pipeline import OFFICER, submit_input, take_through

ERRORS = "errors { field code message }"
CREATE = f"""mutation($input: CreateScoringModelInput!) {{ createScoringModel(input: $input) {{
  scoringModel {{ id version status effectiveFrom passMark definition }} {ERRORS} }} }}"""
PUBLISH = f"""mutation($input: PublishScoringModelInput!) {{ publishScoringModel(input: $input) {{
  scoringModel {{ id version status }} {ERRORS} }} }}"""
SIMULATE = """query($id: ID!) { scoringSimulation(modelId: $id) { modelVersion evaluated passedNow passedUnderDraft
  newlyPassing { number } newlyFailing { number } } }"""
ADMIN = {"role": "ADMIN", "subject": "admin-1"}


def definition(pass_mark: int = 400, **changes: Any) -> dict[str, Any]:
    d = copy.deepcopy(DEFAULT_MODEL_DEFINITION)
    d["passMark"] = pass_mark
    d.update(changes)
    return d


async def create(gql: GQL, version: str, effective: str = "2026-06-01", defn: Any = None, **who: Any) -> dict:
    data = await gql.ok(CREATE, {"input": {"version": version, "effectiveFrom": effective,
                                           "definition": definition() if defn is None else defn}}, **(who or ADMIN))
    return data["createScoringModel"]


async def model_count(sessions: Any) -> int:
    async with sessions() as s:
        return (await s.execute(select(func.count()).select_from(m.ScoringModel))).scalar_one()


async def test_create_draft_then_publish(gql: GQL) -> None:
    created = await create(gql, "2026.6")
    assert created["errors"] == []
    model = created["scoringModel"]
    assert model["status"] == "DRAFT" and model["passMark"] == 400
    assert model["definition"] == definition()
    published = (await gql.ok(PUBLISH, {"input": {"id": model["id"]}}, **ADMIN))["publishScoringModel"]
    assert published["errors"] == [] and published["scoringModel"]["status"] == "PUBLISHED"
    again = (await gql.ok(PUBLISH, {"input": {"id": model["id"]}}, **ADMIN))["publishScoringModel"]
    assert again["errors"][0]["code"] == "INVALID_STATE"
    assert "only a DRAFT model may be published" in again["errors"][0]["message"]


async def test_definition_errors_carry_the_json_path_and_write_nothing(gql: GQL, sessions: Any) -> None:
    bad = definition()
    bad["gates"][1]["source"] = "applicant.citizenship"
    bad["criteria"][1]["bands"][0]["points"] = -5
    before = await model_count(sessions)
    result = await create(gql, "2026.bad", defn=bad)
    assert result["scoringModel"] is None
    fields = {tuple(e["field"]) for e in result["errors"]}
    assert ("input", "definition", "gates", "1", "source") in fields
    assert any(f[:5] == ("input", "definition", "criteria", "1", "bands") for f in fields)
    assert all(e["code"] == "INVALID_INPUT" for e in result["errors"])
    assert await model_count(sessions) == before


async def test_a_pass_mark_no_one_can_reach_is_refused(gql: GQL, sessions: Any) -> None:
    """Issue 13 item 4: pass mark 9999 with a maximum total of 690."""
    before = await model_count(sessions)
    result = await create(gql, "2026.9999", defn=definition(pass_mark=9999))
    assert result["scoringModel"] is None
    assert result["errors"] == [{
        "field": ["input", "definition", "passMark"], "code": "INVALID_INPUT",
        "message": "passMark 9999 is above maxTotal 690, the most any application can score; no one could pass"}]
    # a criterion for one route only: the other routes cannot reach 700
    labour_bonus = {"code": "labour_bonus", "source": "questionnaire.occupationInDeficit",
                    "points": {"true": 10, "false": 0}, "routes": ["LABOUR"]}
    defn = definition(pass_mark=700)
    defn["criteria"].append(labour_bonus)
    result = await create(gql, "2026.700", defn=defn)
    assert [(e["field"], e["code"]) for e in result["errors"]] == [(["input", "definition", "passMark"],
                                                                    "INVALID_INPUT")]
    assert "KANDAS 690, GENERAL 690" in result["errors"][0]["message"]
    assert await model_count(sessions) == before
    # the most it can give is a pass mark one can reach
    assert (await create(gql, "2026.690", defn=definition(pass_mark=690)))["errors"] == []


async def test_a_stored_draft_no_one_can_pass_is_neither_changed_into_nor_published(sessions: Any) -> None:
    import datetime as dt

    from core.db import transaction
    from services.errors import ServiceError
    from services.scoring_models import create_scoring_model, publish_scoring_model, update_draft
    from services.viewer import SYSTEM

    async with transaction(sessions) as s:
        draft = await create_scoring_model(s, SYSTEM, version="2026.draft", effective_from=dt.date(2026, 9, 1),
                                           definition=definition())
    with pytest.raises(ServiceError) as refused:
        async with transaction(sessions) as s:
            await update_draft(s, SYSTEM, model_id=draft.id, effective_from=dt.date(2026, 9, 1),
                               definition=definition(pass_mark=691))
    assert [(e.code.value, e.field) for e in refused.value.errors] == [
        ("INVALID_INPUT", ("input", "definition", "passMark"))]
    async with transaction(sessions) as s:  # a draft stored before the rule existed
        await s.execute(sa.update(m.ScoringModel).where(m.ScoringModel.id == draft.id)
                        .values(definition=definition(pass_mark=9999), pass_mark=9999))
    with pytest.raises(ServiceError) as unpublishable:
        async with transaction(sessions) as s:
            await publish_scoring_model(s, SYSTEM, model_id=draft.id)
    (error,) = unpublishable.value.errors
    assert (error.code.value, error.field) == ("INVALID_INPUT", ("input", "id"))
    assert "definition.passMark: passMark 9999 is above maxTotal 690" in error.message
    async with sessions() as s:
        assert (await s.get(m.ScoringModel, draft.id)).status == ScoringModelStatus.DRAFT


async def test_duplicate_version_and_same_effective_date(gql: GQL) -> None:
    first = await create(gql, "2026.3", "2026-07-01")
    dup = await create(gql, "2026.3", "2026-08-01")
    assert dup["errors"][0]["code"] == "DUPLICATE" and dup["errors"][0]["field"] == ["input", "version"]
    second = await create(gql, "2026.8", "2026-07-01")
    await gql.ok(PUBLISH, {"input": {"id": first["scoringModel"]["id"]}}, **ADMIN)
    clash = (await gql.ok(PUBLISH, {"input": {"id": second["scoringModel"]["id"]}}, **ADMIN))["publishScoringModel"]
    assert clash["errors"][0]["code"] == "CONFLICT"
    assert "2026-07-01" in clash["errors"][0]["message"]


@pytest.mark.parametrize("role", ["OFFICER", "APPLICANT"])
async def test_only_admins_change_models(gql: GQL, role: str) -> None:
    result = await create(gql, "2026.5", role=role, subject="someone")
    assert result["errors"][0]["code"] == "FORBIDDEN"


async def test_simulation_reports_the_effect_and_writes_nothing(gql: GQL, sessions: Any) -> None:
    numbers = []
    for _ in range(2):
        app = (await gql.ok("mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) "
                            "{ application { id number } errors { code message } } }",
                            {"input": submit_input("KANDAS", "KZ-55")}, **OFFICER))["submitApplication"]["application"]
        await take_through(gql, app["id"])
        numbers.append(app["number"])
    strict = await create(gql, "2026.strict", defn=definition(pass_mark=690))
    async with sessions() as s:
        audit_before = (await s.execute(select(func.count()).select_from(m.AuditEvent))).scalar_one()
        statuses_before = sorted((await s.execute(select(m.Application.id, m.Application.status))).all())
    sim = (await gql.ok(SIMULATE, {"id": strict["scoringModel"]["id"]}, **OFFICER))["scoringSimulation"]
    assert sim["modelVersion"] == "2026.strict"
    assert sim["evaluated"] == 2 and sim["passedNow"] == 2 and sim["passedUnderDraft"] == 0
    assert sorted(a["number"] for a in sim["newlyFailing"]) == sorted(numbers)
    assert sim["newlyPassing"] == []
    async with sessions() as s:
        assert (await s.execute(select(func.count()).select_from(m.AuditEvent))).scalar_one() == audit_before
        assert sorted((await s.execute(select(m.Application.id, m.Application.status))).all()) == statuses_before
    body = await gql(SIMULATE, {"id": strict["scoringModel"]["id"]}, role="APPLICANT", subject="alice")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_publishing_a_model_in_force_rescores_undecided_applications(gql: GQL, sessions: Any) -> None:
    app = (await gql.ok("mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) "
                        "{ application { id } errors { code } } }",
                        {"input": submit_input("KANDAS", "KZ-55")}, **OFFICER))["submitApplication"]["application"]
    await take_through(gql, app["id"])
    strict = await create(gql, "2026.today", "2026-02-01", defn=definition(pass_mark=690))
    await gql.ok(PUBLISH, {"input": {"id": strict["scoringModel"]["id"]}}, **ADMIN)
    async with sessions() as s:
        score = (await s.execute(select(m.Score))).scalar_one()
        application = (await s.execute(select(m.Application))).scalar_one()
    from tests.conftest import BACKEND

    if BACKEND == "sqlite":  # inline on SQLite; on PostgreSQL a job is queued for `qonys worker`
        assert score.model_version == "2026.today"
        assert application.status == ApplicationStatus.FAILED
