"""Who may do what in the pipeline (SPEC §7): applicants act on their own
applications only and never learn that others exist; stages, scoring and
decisions are for officers and administrators; an agency key records the
results of the check types its agency owns and nothing else; no token, no entry."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from core.db import transaction
from services.auth import create_agency_key
from services.viewer import SYSTEM
from tests.conftest import GQL
from tests.helpers_pipeline import (
    APPLICATION,
    CHECK_RESULT,
    DECIDE,
    LANGUAGE_TEST,
    OUTCOME,
    QUESTIONNAIRE,
    REQUEST_CHECKS,
    SCHEDULE,
    SCORE,
    SUBMIT,
    WITHDRAW,
    Env,
    counts,
    fresh_env,
    language_input,
    ok,
    one_error,
    questionnaire_input,
    submit,
    submit_input,
    take_through,
)



@pytest.fixture(scope="module")
async def env(template_url, tmp_path_factory) -> Any:
    """One database for the module: every test has its own people and applications."""
    async with fresh_env(template_url, tmp_path_factory.mktemp("roles")) as e:
        yield e


@pytest.fixture
def gql(env: Env) -> GQL:
    return env.gql


@pytest.fixture
def sessions(env: Env) -> Any:
    return env.sessions


@pytest.fixture
def app(env: Env) -> Any:
    return env.app


@pytest.fixture
def alice() -> dict[str, str]:
    return {"role": "APPLICANT", "subject": f"alice-{uuid.uuid4().hex[:8]}"}


@pytest.fixture
def bob() -> dict[str, str]:
    return {"role": "APPLICANT", "subject": f"bob-{uuid.uuid4().hex[:8]}"}

NODE = "query($id: ID!) { node(id: $id) { id ... on Application { number } ... on Applicant { fullName } } }"
LIST = "{ applications(first: 50) { totalCount edges { node { id } } } }"


async def refused(gql: GQL, sessions: Any, doc: str, input: dict[str, Any], code: str, field: list[str] | None,
                  **who: Any) -> dict[str, Any]:
    before = await counts(sessions)
    error = one_error(await gql.ok(doc, {"input": input}, **who))
    assert (error["code"], error["field"]) == (code, field), error
    assert await counts(sessions) == before
    return error


@pytest.fixture
async def alices(gql: GQL, alice) -> dict[str, Any]:
    return await submit(gql, submit_input("KANDAS", "KZ-55"), **alice)


async def test_applicant_reads_only_own_applications(gql: GQL, alices, alice, bob) -> None:
    mine = (await gql.ok(APPLICATION, {"id": alices["id"]}, **alice))["application"]
    assert mine["number"] == alices["number"] and mine["status"] == "SUBMITTED"
    assert (await gql.ok(NODE, {"id": alices["id"]}, **alice))["node"]["number"] == alices["number"]
    assert (await gql.ok(NODE, {"id": alices["applicant"]["id"]}, **alice))["node"]["fullName"]
    assert (await gql.ok(LIST, **alice))["applications"]["totalCount"] == 1

    # Bob gets exactly what a missing record gives: nothing.
    assert (await gql.ok(APPLICATION, {"id": alices["id"]}, **bob))["application"] is None
    assert (await gql.ok(NODE, {"id": alices["id"]}, **bob))["node"] is None
    assert (await gql.ok(NODE, {"id": alices["applicant"]["id"]}, **bob))["node"] is None
    assert (await gql.ok(LIST, **bob))["applications"] == {"totalCount": 0, "edges": []}

    # Officers and administrators read all.
    for role in ("OFFICER", "ADMIN"):
        assert (await gql.ok(APPLICATION, {"id": alices["id"]}, role=role))["application"]["id"] == alices["id"]


async def test_applicant_acting_on_anothers_application_gets_not_found(
    gql: GQL, sessions, alices, alice, bob
) -> None:
    await ok(gql, LANGUAGE_TEST, language_input(alices["id"]), role="OFFICER")
    for doc, inp in ((WITHDRAW, {"applicationId": alices["id"]}),
                     (QUESTIONNAIRE, questionnaire_input(alices["id"]))):
        error = await refused(gql, sessions, doc, inp, "NOT_FOUND", ["input", "applicationId"], **bob)
        assert error["message"] == "application not found"
    still = (await gql.ok(APPLICATION, {"id": alices["id"]}, **alice))["application"]
    assert still["status"] == "SUBMITTED" and still["questionnaire"] is None


STAFF_ONLY = [
    ("recordLanguageTest", LANGUAGE_TEST, lambda i: language_input(i)),
    ("requestChecks", REQUEST_CHECKS, lambda i: {"applicationId": i}),
    ("scheduleInterview", SCHEDULE, lambda i: {"applicationId": i, "scheduledAt": "2026-03-02T10:00:00+05:00"}),
    ("recordInterviewOutcome", OUTCOME, lambda i: {"applicationId": i, "outcome": "PASSED", "points": 10}),
    ("scoreApplication", SCORE, lambda i: {"applicationId": i}),
    ("approve", DECIDE, lambda i: {"applicationId": i, "decision": "APPROVE"}),
    ("reject", DECIDE, lambda i: {"applicationId": i, "decision": "REJECT"}),
]


@pytest.mark.parametrize(("doc", "make"), [r[1:] for r in STAFF_ONLY], ids=[r[0] for r in STAFF_ONLY])
async def test_applicant_may_not_record_stages_score_or_decide(
    gql: GQL, sessions, alices, doc, make, alice, bob
) -> None:
    # FORBIDDEN on their own application, and the same answer on anyone else's.
    await refused(gql, sessions, doc, make(alices["id"]), "FORBIDDEN", None, **alice)
    await refused(gql, sessions, doc, make(alices["id"]), "FORBIDDEN", None, **bob)


async def test_applicant_may_not_record_check_results(gql: GQL, sessions, alices, alice) -> None:
    app = await ok(gql, REQUEST_CHECKS, {"applicationId": alices["id"]}, role="OFFICER")
    await refused(gql, sessions, CHECK_RESULT, {"checkId": app["checks"][0]["id"], "status": "CLEARED"},
                  "FORBIDDEN", None, **alice)


async def test_applicant_answers_own_questionnaire_only_before_scoring(gql: GQL, sessions, alices, alice) -> None:
    await ok(gql, LANGUAGE_TEST, language_input(alices["id"]), role="OFFICER")
    mine = await ok(gql, QUESTIONNAIRE, questionnaire_input(alices["id"], familySize=3), **alice)
    assert mine["questionnaire"]["familySize"] == 3
    scored = await take_through(gql, alices["id"])
    assert scored["status"] == "PASSED"
    error = await refused(gql, sessions, QUESTIONNAIRE, questionnaire_input(alices["id"]),
                          "INVALID_STATE", ["input", "applicationId"], **alice)
    assert "before scoring" in error["message"]
    # an officer may still correct it until the decision
    fixed = await ok(gql, QUESTIONNAIRE, questionnaire_input(alices["id"], familySize=5), role="OFFICER")
    assert fixed["questionnaire"]["familySize"] == 5


async def test_applicant_withdraws_own_application(gql: GQL, alices, alice) -> None:
    withdrawn = await ok(gql, WITHDRAW, {"applicationId": alices["id"], "reason": "moving elsewhere"}, **alice)
    assert withdrawn["status"] == "WITHDRAWN"


async def test_officer_submits_on_behalf_of_anyone(gql: GQL, alice) -> None:
    app = await submit(gql, submit_input("GENERAL", "KZ-75", ethnic_kazakh=False), role="OFFICER")
    assert (await gql.ok(APPLICATION, {"id": app["id"]}, **alice))["application"] is None
    withdrawn = await ok(gql, WITHDRAW, {"applicationId": app["id"]}, role="ADMIN")
    assert withdrawn["status"] == "WITHDRAWN"


ANONYMOUS_CALLS = [
    ("submitApplication", SUBMIT, lambda i: submit_input()),
    ("recordLanguageTest", LANGUAGE_TEST, lambda i: language_input(i)),
    ("submitQuestionnaire", QUESTIONNAIRE, lambda i: questionnaire_input(i)),
    ("scoreApplication", SCORE, lambda i: {"applicationId": i}),
    ("withdrawApplication", WITHDRAW, lambda i: {"applicationId": i}),
]


async def test_anonymous_calls_are_unauthenticated(gql: GQL, sessions, alices) -> None:
    before = await counts(sessions)
    for _name, doc, make in ANONYMOUS_CALLS:
        body = await gql(doc, {"input": make(alices["id"])})
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
    body = await gql(APPLICATION, {"id": alices["id"]})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await counts(sessions) == before


# ---------------------------------------------------------------- agency keys


async def agency_key(app: Any, code: str) -> str:
    async with transaction(app.state.sessions) as session:
        _, key = await create_agency_key(session, SYSTEM, code)
    return key


async def test_agency_records_only_the_check_types_it_owns(gql: GQL, sessions, app) -> None:
    application = await submit(gql, submit_input("KANDAS", "KZ-55"))
    checks = {c["checkType"]["code"]: c for c in
              (await ok(gql, REQUEST_CHECKS, {"applicationId": application["id"]}))["checks"]}
    criminal = checks["CRIMINAL_RECORD"]["id"]
    gpo, knb, moh = [await agency_key(app, code) for code in ("GPO", "KNB", "MOH")]

    # KNB was granted reading of CRIMINAL_RECORD: it sees the check but may not record it.
    await refused(gql, sessions, CHECK_RESULT, {"checkId": criminal, "status": "CLEARED"},
                  "FORBIDDEN", ["input", "checkId"], token=knb)
    # MOH may not even read it: the same answer as for a check that does not exist.
    unreadable = await refused(gql, sessions, CHECK_RESULT, {"checkId": criminal, "status": "CLEARED"},
                               "NOT_FOUND", ["input", "checkId"], token=moh)
    missing = await refused(gql, sessions, CHECK_RESULT, {"checkId": "Q2hlY2s6OTk5OTk5", "status": "CLEARED"},
                            "NOT_FOUND", ["input", "checkId"], token=moh)
    assert unreadable == missing

    data = await gql.ok(CHECK_RESULT, {"input": {"checkId": criminal, "status": "FLAGGED", "details": "a namesake"}},
                        token=gpo)
    check = data["recordCheckResult"]["check"]
    assert data["recordCheckResult"]["errors"] == []
    assert check["status"] == "FLAGGED" and check["details"] == "a namesake" and check["completedAt"]
    feed = await gql.ok("query($since: DateTime) { checkResults(first: 100, updatedSince: $since) { edges { node { "
                        "id status checkType { code } } } } }", {"since": check["updatedAt"]}, token=gpo)
    assert [e["node"] for e in feed["checkResults"]["edges"]] == [
        {"id": criminal, "status": "FLAGGED", "checkType": {"code": "CRIMINAL_RECORD"}}]

    # An agency key does nothing else in the pipeline.
    for doc, inp in ((SUBMIT, submit_input()), (REQUEST_CHECKS, {"applicationId": application["id"]}),
                     (LANGUAGE_TEST, language_input(application["id"])),
                     (QUESTIONNAIRE, questionnaire_input(application["id"])),
                     (WITHDRAW, {"applicationId": application["id"]}),
                     (DECIDE, {"applicationId": application["id"], "decision": "REJECT"})):
        await refused(gql, sessions, doc, inp, "FORBIDDEN", None, token=gpo)
    assert (await gql.ok(APPLICATION, {"id": application["id"]}, token=gpo))["application"] is None
