"""SPEC §17 end to end over GraphQL: what would raise a score, the score history
(first score, new facts, new model), the legal basis in the breakdown; the
applicant reads their own, another applicant nothing."""

from __future__ import annotations

import copy
from typing import Any

from core.settings import Settings
from services import jobs
from services.default_model import DEFAULT_MODEL_DEFINITION, DEFAULT_MODEL_VERSION
from tests.conftest import BACKEND, GQL
from tests.helpers_pipeline import (
    QUESTIONNAIRE,
    SCORE,
    light,
    mrp_2026_savings,
    ok,
    questionnaire_input,
    submit,
    submit_input,
    take_through,
)

ALICE = {"role": "APPLICANT", "subject": "alice"}
BOB = {"role": "APPLICANT", "subject": "bob"}
ADMIN = {"role": "ADMIN", "subject": "admin-1"}
EXPLAINED = """query($id: ID!) { application(id: $id) { status
  score { total passed modelVersion passMarkBasis { en }
          gates { code passed basis { kk ru en } } breakdown { code points basis { en } }
          improvements { gate code fact currentValue suggestedValue points passes message } }
  scoreHistory { modelVersion total maxTotal passMark passed computedAt reason } } }"""
CREATE = """mutation($input: CreateScoringModelInput!) { createScoringModel(input: $input) {
  scoringModel { id } errors { field code message } } }"""
PUBLISH = """mutation($input: PublishScoringModelInput!) { publishScoringModel(input: $input) {
  scoringModel { id status } errors { field code message } } }"""


async def explained(gql: GQL, app_id: str, who: dict[str, str]) -> Any:
    return (await gql.ok(EXPLAINED, {"id": app_id}, **who))["application"]


async def _clear_queue(settings: Settings) -> None:
    import psycopg

    await jobs.ensure_schema(settings)
    async with await psycopg.AsyncConnection.connect(jobs.conninfo(settings), autocommit=True) as conn:
        await conn.execute("DELETE FROM procrastinate_periodic_defers; DELETE FROM procrastinate_events; "
                           "DELETE FROM procrastinate_jobs; DELETE FROM procrastinate_workers")


async def publish_new_model(gql: GQL, settings: Settings) -> None:
    """An administrator publishes 2026.9 (the default with English worth more), in
    force today; the re-scoring runs (inline on SQLite, by a worker on PostgreSQL)."""
    if BACKEND == "postgres":
        await _clear_queue(settings)
    definition = copy.deepcopy(DEFAULT_MODEL_DEFINITION)
    definition["criteria"][5]["points"] = {"NONE": 0, "BASIC": 30, "FLUENT": 40}
    created = (await gql.ok(CREATE, {"input": {"version": "2026.9", "effectiveFrom": "2026-06-01",
                                               "definition": definition}}, **ADMIN))["createScoringModel"]
    assert created["errors"] == []
    published = (await gql.ok(PUBLISH, {"input": {"id": created["scoringModel"]["id"]}}, **ADMIN))
    assert published["publishScoringModel"]["errors"] == []
    if BACKEND == "postgres":
        await jobs.run_worker(settings, wait=False, install_signal_handlers=False)


async def test_scored_corrected_republished_three_history_rows_for_the_applicant_only(
        gql: GQL, settings: Settings) -> None:
    app = await submit(gql, submit_input("GENERAL", "KZ-75", ethnic_kazakh=False), **ALICE)
    scored = await take_through(gql, app["id"], questionnaire={"savings": "0.00"})
    assert scored["status"] == "FAILED" and scored["score"]["total"] == 460

    first = await explained(gql, app["id"], ALICE)
    assert first["score"]["passMarkBasis"]["en"].startswith("Joint order of 30 January 2026")
    bases = {g["code"]: g["basis"] for g in first["score"]["gates"]}
    assert "1,320 MRP" in bases["solvency"]["en"] and bases["solvency"]["kk"] and bases["solvency"]["ru"]
    assert bases["checks"] is None and all(c["basis"] is None for c in first["score"]["breakdown"])
    suggestions = {(s["gate"], s["code"]): s for s in first["score"]["improvements"]}
    solvency = suggestions[True, "solvency"]
    assert (solvency["fact"], solvency["currentValue"], solvency["suggestedValue"], solvency["passes"]) == (
        "questionnaire.savingsMrp", "0.00", "1320", True)
    assert suggestions[False, "kazakh"]["message"] == "language.level B1 → B2: +20"
    assert not {s["fact"] for s in suggestions.values()} & {"applicant.age", "questionnaire.familySize",
                                                            "questionnaire.relativesInKazakhstan"}
    assert [(h["reason"], h["modelVersion"], h["total"], h["passed"]) for h in first["scoreHistory"]] == [
        ("FIRST_SCORE", DEFAULT_MODEL_VERSION, 460, False)]

    # the applicant acts on it: the officer corrects the savings; the score goes stale; scored again
    await ok(gql, light(QUESTIONNAIRE), questionnaire_input(app["id"], savings=mrp_2026_savings(1400)))
    again = await ok(gql, light(SCORE), {"applicationId": app["id"]})
    assert again["status"] == "PASSED"

    await publish_new_model(gql, settings)  # English BASIC: 20 → 30

    mine = await explained(gql, app["id"], ALICE)
    assert mine["status"] == "PASSED" and mine["score"]["modelVersion"] == "2026.9"
    history = mine["scoreHistory"]
    assert [(h["reason"], h["modelVersion"], h["total"], h["passed"]) for h in history] == [
        ("NEW_MODEL", "2026.9", 470, True), ("NEW_FACTS", DEFAULT_MODEL_VERSION, 460, True),
        ("FIRST_SCORE", DEFAULT_MODEL_VERSION, 460, False)]
    assert history[0]["computedAt"] >= history[1]["computedAt"] >= history[2]["computedAt"]
    assert {(h["maxTotal"], h["passMark"]) for h in history} == {(690, 400)}
    assert mine["score"]["total"] == history[0]["total"]  # the current score is the newest
    # the passed gate no longer suggests anything; the criteria still do
    assert all(not s["gate"] for s in mine["score"]["improvements"])

    officer = await explained(gql, app["id"], {"role": "OFFICER", "subject": "officer-1"})
    assert officer["scoreHistory"] == history and officer["score"]["improvements"] == mine["score"]["improvements"]
    # another applicant gets nothing: not the application, not its history, not its suggestions
    assert (await gql.ok(EXPLAINED, {"id": app["id"]}, **BOB))["application"] is None
    node = await gql.ok('query($id: ID!) { node(id: $id) { ... on Application { scoreHistory { reason } '
                        'score { improvements { fact } } } } }', {"id": app["id"]}, **BOB)
    assert node["node"] is None


FAIRNESS = """query($id: ID!) { scoringSimulation(modelId: $id) { evaluated
  fairness { measure groups { dimension group total selected rate ratioToHighest flagged } flagged { group } } } }"""


async def test_the_what_if_reports_fairness_to_administrators_only(gql: GQL) -> None:
    for age in (25, 27, 52, 55):
        app = await submit(gql, submit_input("KANDAS", "KZ-55", age=age))
        await take_through(gql, app["id"])
    definition = copy.deepcopy(DEFAULT_MODEL_DEFINITION)
    definition["gates"].append({"code": "young", "source": "applicant.age", "max": 35})
    created = (await gql.ok(CREATE, {"input": {"version": "2026.young", "effectiveFrom": "2027-01-01",
                                               "definition": definition}}, **ADMIN))["createScoringModel"]
    model_id = created["scoringModel"]["id"]
    data = (await gql.ok(FAIRNESS, {"id": model_id}, **ADMIN))["scoringSimulation"]
    assert data["evaluated"] == 4 and data["fairness"]["measure"] == "pass rate"
    ages = {g["group"]: (g["total"], g["selected"], g["flagged"]) for g in data["fairness"]["groups"]
            if g["dimension"] == "AGE_BAND"}
    assert ages == {"18–29": (2, 2, False), "50–59": (2, 0, True)}
    assert {"50–59"} <= {g["group"] for g in data["fairness"]["flagged"]}
    assert {g["dimension"] for g in data["fairness"]["groups"]} == {"SEX", "AGE_BAND", "ROUTE"}

    refused = await gql(FAIRNESS, {"id": model_id}, role="OFFICER")  # officers run the what-if, not this check
    assert refused["data"]["scoringSimulation"]["fairness"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_list_reads_the_suggestions_of_each_score_in_one_batch(gql: GQL) -> None:
    ids = []
    for english in ("NONE", "BASIC", "FLUENT"):
        app = await submit(gql, submit_input("KANDAS", "KZ-55"))
        await take_through(gql, app["id"], questionnaire={"english": english})
        ids.append(app["id"])
    listed = await gql.ok("{ applications(first: 10) { edges { node { id score { improvements { code fact "
                          "suggestedValue points } } } } } }", role="OFFICER")
    english = {e["node"]["id"]: [(s["suggestedValue"], s["points"]) for s in e["node"]["score"]["improvements"]
                                 if s["code"] == "english"] for e in listed["applications"]["edges"]}
    assert [english[i] for i in ids] == [[("BASIC", 20)], [("FLUENT", 20)], []]
