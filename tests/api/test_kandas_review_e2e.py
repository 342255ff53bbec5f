"""Kandas status and the review of a decision end to end over GraphQL (SPEC §12, §14):
an applicant's KANDAS family through the four stages, approved by a selection round,
granted its status, signing its contract and having the status extended; another
applicant failed by the interview asks for a review, which the officer who scored
may not decide and another officer overturns, and the application is scored again."""

from __future__ import annotations

from typing import Any

import pytest

from models.base import today_almaty
from tests.helpers_pipeline import OUTCOME, SCORE, Env, fresh_env, light, ok, submit, submit_input, take_through

ERRORS = "errors { field code message }"
QUOTAS = "query($year: Int!) { quotas(year: $year, kind: KANDAS) { id region { code } } }"
ROUND = ("mutation($input: RunSelectionRoundInput!) { runSelectionRound(input: $input) { "
         f"round {{ approved {{ id }} }} {ERRORS} }} }}")
MINE = ("query($id: ID!) { application(id: $id) { status kandasStatus { id number grantedOn validUntil status "
        "extendedMonths } reviews { id status dueDate reviewedStatus decisionBy scoreTotal scorePassed outcome } } }")
SIGN = f"mutation($input: SignContractInput!) {{ signContract(input: $input) {{ contract {{ id status }} {ERRORS} }} }}"
EXTEND = ("mutation($input: ExtendKandasStatusInput!) { extendKandasStatus(input: $input) { "
          f"kandasStatus {{ validUntil extendedMonths status }} {ERRORS} }} }}")
REQUEST = ("mutation($input: RequestReviewInput!) { requestReview(input: $input) { "
           f"review {{ id status reviewedStatus dueDate }} {ERRORS} }} }}")
DECIDE = ("mutation($input: DecideReviewInput!) { decideReview(input: $input) { "
          f"review {{ status outcome application {{ status }} }} {ERRORS} }} }}")
HISTORY = "query($id: ID!) { application(id: $id) { scoreHistory { reason passed } } }"
OVERDUE = "{ decisionReviews(filter: {status: OPEN}) { totalCount edges { node { id dueDate } } } }"
ALICE = {"role": "APPLICANT", "subject": "alice"}
BOB = {"role": "APPLICANT", "subject": "bob"}
OFFICER_1 = {"role": "OFFICER", "subject": "officer-1"}
OFFICER_2 = {"role": "OFFICER", "subject": "officer-2"}


@pytest.fixture(scope="module")
async def env(template_url: str, tmp_path_factory: Any) -> Any:
    async with fresh_env(template_url, tmp_path_factory.mktemp("kandas-e2e")) as e:
        yield e


async def mutate(gql: Any, doc: str, input: dict[str, Any], who: dict[str, str]) -> dict[str, Any]:
    (payload,) = (await gql.ok(doc, {"input": input}, **who)).values()
    return payload


async def test_status_granted_by_the_round_then_contract_and_extension(env: Env) -> None:
    gql = env.gql
    today = today_almaty()
    app = await submit(gql, submit_input("KANDAS", "KZ-55"), **ALICE)
    await take_through(gql, app["id"])
    mine = (await gql.ok(MINE, {"id": app["id"]}, **ALICE))["application"]
    assert (mine["status"], mine["kandasStatus"]) == ("PASSED", None)
    sign = {"applicationId": app["id"], "startDate": today.isoformat()}
    assert (await mutate(gql, SIGN, sign, OFFICER_1))["errors"][0]["code"] == "INVALID_STATE"  # not approved yet

    quota = next(q for q in (await gql.ok(QUOTAS, {"year": today.year}, **OFFICER_1))["quotas"]
                 if q["region"]["code"] == "KZ-55")
    ran = await mutate(gql, ROUND, {"quotaId": quota["id"]}, OFFICER_1)
    assert ran["errors"] == [] and {"id": app["id"]} in ran["round"]["approved"]

    status = (await gql.ok(MINE, {"id": app["id"]}, **ALICE))["application"]["kandasStatus"]
    assert status["number"].startswith(f"KS-{today.year}-")
    assert (status["grantedOn"], status["validUntil"], status["status"]) == (
        today.isoformat(), today.replace(year=today.year + 1).isoformat(), "ACTIVE")
    assert (await gql.ok(MINE, {"id": app["id"]}, **BOB))["application"] is None

    signed = await mutate(gql, SIGN, sign, OFFICER_1)
    assert signed["errors"] == [] and signed["contract"]["status"] == "ACTIVE"

    assert (await mutate(gql, EXTEND, {"statusId": status["id"], "months": 3}, ALICE))["errors"][0]["code"] == \
        "FORBIDDEN"
    extended = await mutate(gql, EXTEND, {"statusId": status["id"], "months": 3}, OFFICER_2)
    assert extended["errors"] == [] and extended["kandasStatus"]["extendedMonths"] == 3
    again = await mutate(gql, EXTEND, {"statusId": status["id"], "months": 1}, OFFICER_2)
    assert [(e["code"], e["field"]) for e in again["errors"]] == [("INVALID_STATE", ["input", "statusId"])]


async def test_a_failed_interview_reviewed_overturned_and_scored_again(env: Env) -> None:
    gql = env.gql
    app = await submit(gql, submit_input("KANDAS", "KZ-55"), **BOB)
    # Scored by officer-1 (take_through's officer is officer-1): the interview failed it.
    scored = await take_through(gql, app["id"], outcome="FAILED", points=2)
    assert scored["status"] == "FAILED"

    asked = await mutate(gql, REQUEST, {"applicationId": app["id"],
                                        "grounds": "The interviewer recorded another candidate's answers."}, BOB)
    assert asked["errors"] == []
    review = asked["review"]
    assert (review["status"], review["reviewedStatus"]) == ("OPEN", "FAILED")
    duplicate = await mutate(gql, REQUEST, {"applicationId": app["id"], "grounds": "Once more, the same grounds."}, BOB)
    assert [(e["code"], e["field"]) for e in duplicate["errors"]] == [("DUPLICATE", ["input", "applicationId"])]
    listed = (await gql.ok(OVERDUE, **OFFICER_2))["decisionReviews"]
    assert review["id"] in [e["node"]["id"] for e in listed["edges"]]

    # Bob reads his review, without who decided; staff read who did.
    own = (await gql.ok(MINE, {"id": app["id"]}, **BOB))["application"]["reviews"]
    assert [(r["status"], r["decisionBy"], r["scorePassed"]) for r in own] == [("OPEN", None, False)]
    staff = (await gql.ok(MINE, {"id": app["id"]}, **OFFICER_2))["application"]["reviews"]
    assert staff[0]["decisionBy"] == "officer-1"

    decide = {"reviewId": review["id"], "outcome": "OVERTURNED", "reason": "The interview is to be held again."}
    same = await mutate(gql, DECIDE, decide, OFFICER_1)
    assert [(e["code"], e["field"]) for e in same["errors"]] == [("FORBIDDEN", ["input", "reviewId"])]
    done = await mutate(gql, DECIDE, decide, OFFICER_2)
    assert done["errors"] == []
    assert (done["review"]["status"], done["review"]["application"]["status"]) == ("OVERTURNED", "SUBMITTED")

    # The facts are corrected and the application is scored again.
    await ok(gql, light(OUTCOME), {"applicationId": app["id"], "outcome": "PASSED", "points": 8}, **OFFICER_2)
    rescored = await ok(gql, light(SCORE), {"applicationId": app["id"]}, **OFFICER_2)
    assert rescored["status"] == "PASSED"  # now it waits for the next selection round
    kept = (await gql.ok(MINE, {"id": app["id"]}, **BOB))["application"]["reviews"][0]
    assert (kept["status"], kept["outcome"], kept["scorePassed"]) == ("OVERTURNED", "OVERTURNED", False)
    # SPEC §17: the history says why each score was computed; the second, because of the review.
    history = (await gql.ok(HISTORY, {"id": app["id"]}, **BOB))["application"]["scoreHistory"]
    assert [(h["reason"], h["passed"]) for h in history] == [("REVIEW", True), ("FIRST_SCORE", False)]
    # Scored once more on the same facts: new facts no longer, nor a review.
    again = await ok(gql, light(SCORE), {"applicationId": app["id"]}, **OFFICER_2)
    assert again["status"] == "PASSED"
    history = (await gql.ok(HISTORY, {"id": app["id"]}, **BOB))["application"]["scoreHistory"]
    assert [h["reason"] for h in history] == ["NEW_FACTS", "REVIEW", "FIRST_SCORE"]
