"""SPEC §15 end to end over GraphQL, on both databases: an employer, its permit, the
permit's approval, a LABOUR application naming the permit and its approval using a
permit place; the migration service's key recording a violation; an applicant with a
FALSE_DOCUMENTS violation failing model 2026.3's gate with its reason."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

import models as m
from api.graphql import ids
from services.auth import create_agency_key
from services.viewer import SYSTEM
from tests.helpers_pipeline import DECIDE, SCORE, Env, fresh_env, ok, submit, submit_input, take_through
from tests.services.test_labour import next_bin

ERRORS = "errors { field code message }"
EMPLOYER = "id bin name suspended suspendedUntil localStaff { category count } region { code }"
PERMIT = ("id number category status workers validMonths occupationCode region { code } validFrom validUntil "
          "placesUsed placesLeft takesQuotaSeats employer { bin }")
REGISTER = f"mutation($input: RegisterEmployerInput!) {{ registerEmployer(input: $input) {{ employer {{ {EMPLOYER} }} {ERRORS} }} }}"
UPDATE_STAFF = (f"mutation($input: UpdateEmployerStaffInput!) {{ updateEmployerStaff(input: $input) {{ "
                f"employer {{ {EMPLOYER} }} {ERRORS} }} }}")
REQUEST = f"mutation($input: RequestWorkPermitInput!) {{ requestWorkPermit(input: $input) {{ permit {{ {PERMIT} }} {ERRORS} }} }}"
DECIDE_PERMIT = (f"mutation($input: DecideWorkPermitInput!) {{ decideWorkPermit(input: $input) {{ "
                 f"permit {{ {PERMIT} }} {ERRORS} }} }}")
VIOLATION = ("mutation($input: RecordViolationInput!) { recordViolation(input: $input) { violation { id kind "
             "occurredOn fineMrp externalId employer { bin } } " + ERRORS + " } }")
SUBMIT_ON_PERMIT = ("mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) { application { "
                    "id status route occupationCode permit { number } } " + ERRORS + " } }")
PERMITS = ("query($filter: WorkPermitFilter, $after: String) { workPermits(first: 1, filter: $filter, after: $after) "
           "{ totalCount pageInfo { hasNextPage endCursor } edges { node { number status category } } } }")


@pytest.fixture(scope="module")
async def env(template_url: str, tmp_path_factory: Any) -> Any:
    async with fresh_env(template_url, tmp_path_factory.mktemp("labour")) as e:
        yield e


async def test_employer_permit_approval_and_a_labour_application_on_a_permit_place(env: Env) -> None:
    gql = env.gql
    bin_ = next_bin()
    employer = await ok(gql, REGISTER, {"bin": bin_, "name": "Ertis Welding LLP", "regionCode": "kz-55",
                                        "localStaff": [{"category": "CAT3", "count": 45}]})
    assert employer["localStaff"] == [{"category": c, "count": n} for c, n in
                                      (("CAT1", 0), ("CAT2", 0), ("CAT3", 45), ("CAT4", 0))]
    assert (employer["region"]["code"], employer["suspended"]) == ("KZ-55", False)
    data = await gql.ok(REGISTER, {"input": {"bin": bin_, "name": "Again", "regionCode": "KZ-55", "localStaff": []}},
                        role="OFFICER")
    assert [e["code"] for e in data["registerEmployer"]["errors"]] == ["DUPLICATE"]

    request = {"employerId": employer["id"], "category": "CAT4", "occupationCode": "7212", "regionCode": "KZ-55",
               "workers": 6, "validMonths": 12}
    data = await gql.ok(REQUEST, {"input": request}, role="OFFICER")
    (error,) = data["requestWorkPermit"]["errors"]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", ["input", "workers"])
    assert error["message"] == ("local staff in categories 3–4 would be 88.2 %, below the 90 % floor: "
                                "45 local of 51 with this request")
    employer = await ok(gql, UPDATE_STAFF, {"employerId": employer["id"],
                                            "localStaff": [{"category": "CAT3", "count": 45},
                                                           {"category": "CAT4", "count": 9}]})
    permit = await ok(gql, REQUEST, request)  # 54 local of 60: exactly 90 %
    assert (permit["status"], permit["number"][:3], permit["placesLeft"]) == ("REQUESTED", "WP-", 0)

    async with env.sessions() as s:
        quota = (await s.execute(select(m.Quota).join(m.Region).join(m.Occupation).where(
            m.Region.code == "KZ-55", m.Occupation.code == "7212", m.Quota.year == 2026))).scalar_one()
    permit = await ok(gql, DECIDE_PERMIT, {"permitId": permit["id"], "decision": "APPROVE"})
    assert (permit["status"], permit["takesQuotaSeats"], permit["placesLeft"]) == ("APPROVED", True, 6)
    assert permit["employer"]["bin"] == bin_
    async with env.sessions() as s:
        assert (await s.get(m.Quota, quota.id)).used == quota.used + 6

    listed = await gql.ok(PERMITS, {"filter": {"status": "APPROVED", "category": "CAT4", "regionCode": "KZ-55"}},
                          role="OFFICER")
    assert listed["workPermits"]["edges"][0]["node"]["number"] == permit["number"]

    # a LABOUR application naming the permit; its approval uses a permit place, not a quota seat
    data = await gql.ok(SUBMIT_ON_PERMIT, {"input": {**submit_input("LABOUR", "KZ-55", None, ethnic_kazakh=False,
                                                                    citizenship="UZB"),
                                                     "permitId": permit["id"]}}, role="OFFICER")
    assert data["submitApplication"]["errors"] == []
    app = data["submitApplication"]["application"]
    assert (app["route"], app["occupationCode"], app["permit"]) == ("LABOUR", "7212", {"number": permit["number"]})
    scored = await take_through(gql, app["id"], questionnaire={"occupationCode": "7212", "familySize": 1})
    assert scored["status"] == "PASSED", scored["score"]
    decided = await ok(gql, DECIDE, {"applicationId": app["id"], "decision": "APPROVE"})
    assert decided["status"] == "APPROVED"
    async with env.sessions() as s:
        row = await s.get(m.WorkPermit, ids.decode_as(permit["id"], "WorkPermit"))
        assert row.places_used == 1
        assert (await s.get(m.Quota, quota.id)).used == quota.used + 6  # no seat taken by the application
    # the permit is staff's: an applicant may not list permits
    body = await gql("{ workPermits { totalCount } }", role="APPLICANT")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_migration_service_records_violations_and_a_suspended_employer_is_refused(env: Env) -> None:
    gql = env.gql
    employer = await ok(gql, REGISTER, {"bin": next_bin(), "name": "Shady Builders LLP", "regionCode": "KZ-55",
                                        "localStaff": [{"category": "CAT1", "count": 100}]})
    async with env.sessions.begin() as s:
        mvd = (await create_agency_key(s, SYSTEM, "MVD_MIGRATION", label="violations"))[1]
        knb = (await create_agency_key(s, SYSTEM, "KNB", label="violations"))[1]
    first = {"employerId": employer["id"], "kind": "ILLEGAL_EMPLOYMENT", "occurredOn": "2026-06-01",
             "fineMrp": 100, "externalId": "MVD-2026-0001"}
    data = await gql.ok(VIOLATION, {"input": first}, token=mvd)
    violation = data["recordViolation"]["violation"]
    # the agency reads back what it recorded, not whose it is
    assert (violation["kind"], violation["fineMrp"], violation["employer"]) == ("ILLEGAL_EMPLOYMENT", 100, None)
    again = await gql.ok(VIOLATION, {"input": first}, token=mvd)
    assert again["recordViolation"]["violation"]["id"] == violation["id"]
    data = await gql.ok(VIOLATION, {"input": {**first, "externalId": "KNB-1"}}, token=knb)
    assert [e["code"] for e in data["recordViolation"]["errors"]] == ["FORBIDDEN"]
    await ok(gql, VIOLATION, {**first, "kind": "PERMIT_BREACH", "occurredOn": "2026-11-30", "externalId": "OFF-7"})

    data = await gql.ok(REQUEST, {"input": {"employerId": employer["id"], "category": "CAT1",
                                            "occupationCode": "2142", "regionCode": "KZ-55", "workers": 1,
                                            "validMonths": 6}}, role="OFFICER")
    (error,) = data["requestWorkPermit"]["errors"]
    assert error["code"] == "INVALID_STATE" and "until 2027-11-30" in error["message"]
    listed = await gql.ok("{ employers(filter: {suspended: true}) { edges { node { bin suspendedUntil "
                          "violations { externalId } } } } }", role="OFFICER")
    (node,) = [e["node"] for e in listed["employers"]["edges"]]
    assert node["suspendedUntil"] == "2027-11-30"
    assert [v["externalId"] for v in node["violations"]] == ["OFF-7", "MVD-2026-0001"]
    # agencies and applicants see no employers at all
    for who in ({"token": mvd}, {"role": "APPLICANT"}):
        body = await gql("{ employers { totalCount } }", **who)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_false_documents_fail_the_new_gate_with_its_reason(env: Env) -> None:
    gql = env.gql
    app = await submit(gql, submit_input("GENERAL", "KZ-75", age=30, ethnic_kazakh=True))
    scored = await take_through(gql, app["id"])
    gates = {g["code"]: g for g in scored["score"]["gates"]}
    assert scored["score"]["modelVersion"] == "2026.4"  # 2026.3's gate, with its legal sources
    assert gates["no_false_documents"]["passed"] is True and gates["no_false_documents"]["value"] == "false"
    await ok(gql, VIOLATION, {"applicationId": app["id"], "kind": "FALSE_DOCUMENTS", "occurredOn": "2026-10-01",
                              "externalId": "MVD-FD-1"})
    rescored = await ok(gql, SCORE, {"applicationId": app["id"]})  # the violation made the score stale
    gate = next(g for g in rescored["score"]["gates"] if g["code"] == "no_false_documents")
    assert (gate["passed"], gate["value"]) == (False, "true")
    assert "false documents on record" in gate["reason"]
    assert rescored["status"] == "FAILED" and rescored["score"]["passed"] is False


async def test_permits_page_by_keyset_with_filters(env: Env) -> None:
    gql = env.gql
    employer = await ok(gql, REGISTER, {"bin": next_bin(), "name": "Paging Plant JSC", "regionCode": "KZ-55",
                                        "localStaff": [{"category": "CAT3", "count": 1000}]})
    numbers = [(await ok(gql, REQUEST, {"employerId": employer["id"], "category": "CAT3", "occupationCode": "7212",
                                        "regionCode": "KZ-55", "workers": 2, "validMonths": 12}))["number"]
               for _ in range(3)]
    seen, after = [], None
    while True:
        page = (await gql.ok(PERMITS, {"filter": {"employerId": employer["id"], "status": "REQUESTED"},
                                       "after": after}, role="OFFICER"))["workPermits"]
        assert page["totalCount"] == 3
        seen += [e["node"]["number"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == numbers[::-1]  # newest request first
    body = await gql(PERMITS, {"filter": {"employerId": "not-an-id"}}, role="OFFICER")
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
