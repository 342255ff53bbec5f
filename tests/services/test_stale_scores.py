"""Issue 13 item 6: changing a fact of a scored, undecided application marks its
score stale (``Score.stale``) and moves the application back to SUBMITTED, in
the same transaction; ``scoreApplication`` scores it again and clears the mark.
A write that changes no fact leaves the score as it is."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

import models as m
from tests.conftest import GQL
from tests.helpers_pipeline import (
    CHECK_RESULT,
    DECIDE,
    LANGUAGE_TEST,
    OFFICER,
    OUTCOME,
    QUESTIONNAIRE,
    SCORE,
    language_input,
    mrp_2026_savings,
    ok,
    one_error,
    questionnaire_input,
    submit,
    submit_input,
    take_through,
)

READ = """query($id: ID!) { application(id: $id) { status
  score { total passed modelVersion computedAt stale gates { code passed } } } }"""
LIST = """query { applications(first: 10) { edges { node { id status score { stale total } } } } }"""


async def read(gql: GQL, app_id: str, **who: Any) -> dict[str, Any]:
    return (await gql.ok(READ, {"id": app_id}, **(who or OFFICER)))["application"]


async def stale_events(sessions: Any) -> list[dict[str, Any]]:
    async with sessions() as s:
        return list((await s.execute(select(m.AuditEvent.changes).where(
            m.AuditEvent.action == "application.score_stale").order_by(m.AuditEvent.id))).scalars())


async def failed_general(gql: GQL, **who: Any) -> dict[str, Any]:
    """A GENERAL application that failed on solvency alone (no savings)."""
    app = await submit(gql, submit_input("GENERAL", "KZ-75", ethnic_kazakh=False), **who)
    scored = await take_through(gql, app["id"], questionnaire={"savings": "0.00"})
    assert scored["status"] == "FAILED" and scored["score"]["total"] == 460
    return scored


async def test_an_edited_questionnaire_makes_the_score_stale_until_scored_again(gql: GQL, sessions: Any) -> None:
    app = await failed_general(gql)
    before = await read(gql, app["id"])
    assert before["status"] == "FAILED" and before["score"]["stale"] is False

    solvent = questionnaire_input(app["id"], savings=mrp_2026_savings(1400))
    edited = await ok(gql, QUESTIONNAIRE, solvent)
    assert edited["status"] == "SUBMITTED"
    now = await read(gql, app["id"])
    # the old score is kept to explain the last one, and says it no longer holds
    assert now == {"status": "SUBMITTED", "score": {**before["score"], "stale": True}}
    (event,) = await stale_events(sessions)
    assert event["status"] == ["FAILED", "SUBMITTED"]
    assert event["changedFacts"] == ["questionnaire.savingsMrp"]
    assert event["score"] == {"modelVersion": "2026.4", "total": 460, "passed": False}

    # nothing is decided on a stale score
    refused = one_error(await gql.ok(DECIDE, {"input": {"applicationId": app["id"], "decision": "APPROVE"}},
                                     **OFFICER))
    assert refused["code"] == "INVALID_STATE"

    # a second change while stale: still SUBMITTED, still stale, no second event
    await ok(gql, QUESTIONNAIRE, {**solvent, "english": "FLUENT"})
    assert (await read(gql, app["id"]))["score"]["stale"] is True
    assert len(await stale_events(sessions)) == 1

    rescored = await ok(gql, SCORE, {"applicationId": app["id"]})
    assert rescored["status"] == "PASSED"
    fresh = await read(gql, app["id"])
    assert fresh["score"]["stale"] is False and fresh["score"]["total"] == 480


async def test_a_write_that_changes_no_fact_leaves_the_score(gql: GQL, sessions: Any) -> None:
    app = await failed_general(gql)
    before = await read(gql, app["id"])
    # the same answers again; notes; a new certificate number of the same result
    await ok(gql, QUESTIONNAIRE, questionnaire_input(app["id"], savings="0.00"))
    await ok(gql, OUTCOME, {"applicationId": app["id"], "outcome": "PASSED", "points": 8, "notes": "re-read"})
    await ok(gql, LANGUAGE_TEST, language_input(app["id"]))
    for check in app["checks"]:
        await ok(gql, CHECK_RESULT, {"checkId": check["id"], "status": "CLEARED", "details": "confirmed"})
    assert await read(gql, app["id"]) == before
    assert await stale_events(sessions) == []


async def test_each_stage_that_feeds_the_facts_makes_the_score_stale(gql: GQL, sessions: Any) -> None:
    writes = [
        ("language test", LANGUAGE_TEST, lambda a: language_input(a["id"], level="C1"), ["language.level"]),
        ("interview points", OUTCOME,
         lambda a: {"applicationId": a["id"], "outcome": "PASSED", "points": 3}, ["interview.points"]),
        ("interview outcome", OUTCOME,
         lambda a: {"applicationId": a["id"], "outcome": "NO_SHOW", "points": 8}, ["interview.outcome"]),
        ("a mandatory check flagged", CHECK_RESULT,
         lambda a: {"checkId": next(c["id"] for c in a["checks"] if c["checkType"]["mandatory"]),
                    "status": "FLAGGED"}, ["checks.anyFlagged", "checks.mandatoryCleared"]),
    ]
    for what, doc, make_input, facts in writes:
        app = await submit(gql, submit_input("KANDAS", "KZ-55"))
        scored = await take_through(gql, app["id"])
        assert scored["status"] == "PASSED", what
        await ok(gql, doc, make_input(scored))
        now = await read(gql, app["id"])
        assert (now["status"], now["score"]["stale"], now["score"]["passed"]) == ("SUBMITTED", True, True), what
        assert (await stale_events(sessions))[-1]["changedFacts"] == facts, what


async def test_the_applicant_reads_the_stale_mark_of_their_own_score(gql: GQL) -> None:
    alice = {"role": "APPLICANT", "subject": "stale-alice"}
    app = await submit(gql, submit_input("GENERAL", "KZ-75", ethnic_kazakh=False), **alice)
    await take_through(gql, app["id"], questionnaire={"savings": "0.00"})
    await ok(gql, QUESTIONNAIRE, questionnaire_input(app["id"], savings=mrp_2026_savings(2000)))
    mine = await read(gql, app["id"], **alice)
    assert mine["status"] == "SUBMITTED" and mine["score"]["stale"] is True
    listed = (await gql.ok(LIST, **alice))["applications"]["edges"]
    assert [(e["node"]["status"], e["node"]["score"]["stale"]) for e in listed] == [("SUBMITTED", True)]
    # the applicant still may not change a questionnaire that has been scored
    refused = one_error(await gql.ok(QUESTIONNAIRE, {"input": questionnaire_input(app["id"])}, **alice))
    assert refused["code"] == "INVALID_STATE"
