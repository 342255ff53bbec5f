"""Decisions are reasoned and readable (issue 13 item 5): a refusal needs a reason;
``Application.decision`` says outcome, reason, when and who — who only to staff,
nothing to agencies — for officers' decisions, selection rounds and withdrawals."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

import models as m
from models.base import utcnow
from api.graphql import ids
from tests import factories as f
from tests.conftest import GQL
from tests.helpers_pipeline import (
    DECIDE,
    WITHDRAW,
    counts,
    light,
    mrp_2026_savings,
    ok,
    one_error,
    submit,
    submit_input,
    take_through,
)
from tests.api.test_feed import agency_key

ALICE = {"role": "APPLICANT", "subject": "alice"}
BOB = {"role": "APPLICANT", "subject": "bob"}
DECISION = "decision { outcome reason decidedAt decidedBy }"
READ = f"query($id: ID!) {{ application(id: $id) {{ id status {DECISION} }} }}"
LIST = f"query {{ applications(first: 50) {{ edges {{ node {{ id {DECISION} }} }} }} }}"
REASON = "The document FA1234567 was found to be forged (check DOCUMENT_AUTHENTICITY, 2026-11-02)."


async def read(gql: GQL, app_id: str, **who: Any) -> dict[str, Any] | None:
    return (await gql.ok(READ, {"id": app_id}, **who))["application"]


async def passed_general(gql: GQL, **owner: Any) -> dict[str, Any]:
    app = await submit(gql, submit_input("GENERAL", "KZ-75", ethnic_kazakh=False), **(owner or {}))
    scored = await take_through(gql, app["id"], questionnaire={"savings": mrp_2026_savings(2000)})
    assert scored["status"] == "PASSED"
    return scored


@pytest.mark.parametrize("reason", [None, "", "   \n "])
async def test_a_refusal_without_a_reason_is_refused_and_writes_nothing(gql: GQL, sessions: Any, reason: Any) -> None:
    app = await submit(gql, submit_input("GENERAL", "KZ-75", ethnic_kazakh=False))
    before = await counts(sessions)
    data = await gql.ok(DECIDE, {"input": {"applicationId": app["id"], "decision": "REJECT",
                                           **({} if reason is None else {"reason": reason})}}, role="OFFICER")
    error = one_error(data)
    assert (error["code"], error["field"]) == ("INVALID_INPUT", ["input", "reason"])
    assert await counts(sessions) == before
    async with sessions() as s:
        assert (await s.execute(select(m.ApplicationDecision))).first() is None


async def test_a_refusal_with_its_reason_is_read_by_staff_and_the_applicant_without_who(
        gql: GQL, sessions: Any) -> None:
    app = await passed_general(gql, **ALICE)
    assert (await read(gql, app["id"], role="OFFICER"))["decision"] is None  # undecided
    assert len(REASON) < 1000
    await ok(gql, light(DECIDE), {"applicationId": app["id"], "decision": "REJECT", "reason": f"  {REASON} "},
             role="OFFICER", subject="officer-7")

    staff = await read(gql, app["id"], role="ADMIN")
    assert staff["status"] == "REJECTED"
    decision = staff["decision"]
    assert (decision["outcome"], decision["reason"], decision["decidedBy"]) == ("REJECTED", REASON, "officer-7")
    decided_at = dt.datetime.fromisoformat(decision["decidedAt"])
    # the rules' clock (shifted by whole days while "today" is pinned), not the wall clock
    assert decided_at.tzinfo is not None and abs(decided_at - utcnow()) < dt.timedelta(minutes=5)

    mine = await read(gql, app["id"], **ALICE)
    assert mine["decision"] == {**decision, "decidedBy": None}
    assert await read(gql, app["id"], **BOB) is None
    listed = (await gql.ok(LIST, **ALICE))["applications"]["edges"]
    assert [e["node"] for e in listed] == [{"id": app["id"], "decision": {**decision, "decidedBy": None}}]
    listed = (await gql.ok(LIST, role="OFFICER"))["applications"]["edges"]
    assert [e["node"]["decision"] for e in listed] == [decision]

    # An agency reads a check's application, never its decision.
    key = await agency_key(sessions, "GPO")
    feed = (await gql.ok(f"query {{ checkResults(first: 10) {{ edges {{ node {{ application {{ id {DECISION} }} }} }} }} }}",
                         token=key))["checkResults"]["edges"]
    assert feed and all(e["node"]["application"] == {"id": app["id"], "decision": None} for e in feed)

    async with sessions() as s:
        row = (await s.execute(select(m.ApplicationDecision))).scalar_one()
    assert (row.outcome.value, row.reason, row.decided_by, row.selection_round_id) == (
        "REJECTED", REASON, "officer-7", None)


async def test_an_approval_and_a_withdrawal_are_recorded_too(gql: GQL, sessions: Any) -> None:
    approved = await passed_general(gql)
    await ok(gql, light(DECIDE), {"applicationId": approved["id"], "decision": "APPROVE"}, role="OFFICER")
    assert (await read(gql, approved["id"], role="OFFICER"))["decision"] | {"decidedAt": None} == {
        "outcome": "APPROVED", "reason": None, "decidedAt": None, "decidedBy": "officer-1"}

    mine = await submit(gql, submit_input("GENERAL", "KZ-75", ethnic_kazakh=False), **ALICE)
    await ok(gql, light(WITHDRAW), {"applicationId": mine["id"], "reason": "found a job at home"}, **ALICE)
    staff = (await read(gql, mine["id"], role="OFFICER"))["decision"]
    assert (staff["outcome"], staff["reason"], staff["decidedBy"]) == ("WITHDRAWN", "found a job at home", "alice")
    assert (await read(gql, mine["id"], **ALICE))["decision"]["decidedBy"] is None


async def test_a_selection_round_approval_is_a_decision_by_who_ran_the_round(gql: GQL, sessions: Any) -> None:
    async with sessions.begin() as s:
        quota = await f.kandas_quota(s, "KZ-27", 2026, capacity=5, used=0)
        app = await f.make_passed_application(s, region_code="KZ-27", score=600, family_size=4)
    doc = "mutation($input: RunSelectionRoundInput!) { runSelectionRound(input: $input) { round { id } errors { code } } }"
    payload = (await gql.ok(doc, {"input": {"quotaId": ids.encode("Quota", quota.id)}},
                            role="OFFICER", subject="officer-3"))["runSelectionRound"]
    assert payload["errors"] == []
    decision = (await read(gql, ids.encode("Application", app.id), role="OFFICER"))["decision"]
    assert (decision["outcome"], decision["decidedBy"]) == ("APPROVED", "officer-3")
    assert decision["reason"].startswith("Approved by the selection round of ")
    assert "2026 KANDAS quota of KZ-27" in decision["reason"] and "ranked 1 with 600 points" in decision["reason"]
    async with sessions() as s:
        row = (await s.execute(select(m.ApplicationDecision))).scalar_one()
        rnd = (await s.execute(select(m.SelectionRound))).scalar_one()
    assert (row.selection_round_id, row.decided_at) == (rnd.id, rnd.ran_at)
