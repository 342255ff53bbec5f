"""Living in the region (SPEC §13) end to end over GraphQL: a KANDAS family
approved by a selection round signs its contract and receives support; the
address-registration authority's API key reports it MOVED to another region; an
officer confirms the breach and the refund due is the whole support to the tiyn,
or dismisses it and the contract stays ACTIVE. Retries by externalId write
nothing; every refused action writes nothing and names its code and field."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import func, select

import models as m
from api.graphql import ids
from core.db import transaction
from services.auth import create_agency_key
from services.viewer import SYSTEM
from tests.conftest import GQL
from tests.helpers_pipeline import ERRORS, ok, one_error, submit, submit_input, take_through

ROUND = f"""mutation($input: RunSelectionRoundInput!) {{
  runSelectionRound(input: $input) {{ round {{ approved {{ id status }} }} {ERRORS} }} }}"""
SIGN = f"""mutation($input: SignContractInput!) {{
  signContract(input: $input) {{ contract {{ id familySize }} {ERRORS} }} }}"""
PAY = f"""mutation($input: RecordSupportPaymentInput!) {{
  recordSupportPayment(input: $input) {{ contract {{ id totalSupport }} {ERRORS} }} }}"""
EVENT_FIELDS = "id kind occurredOn externalId citizenship documentNumber region { code } reportedBy { code }"
REPORT = f"""mutation($input: RecordResidenceEventInput!) {{
  recordResidenceEvent(input: $input) {{ event {{ {EVENT_FIELDS} contract {{ id }} breach {{ id }} }} {ERRORS} }} }}"""
RESOLVE = f"""mutation($input: ResolveBreachInput!) {{
  resolveBreach(input: $input) {{ breach {{ id status note resolvedBy resolvedAt openedOn
    contract {{ id status }} events {{ id kind }} }} {ERRORS} }} }}"""
BREACHES = """query($filter: ContractBreachFilter) { contractBreaches(first: 50, filter: $filter) { totalCount
  edges { node { id status openedOn contract { id } events { id kind region { code } } } } } }"""
CONTRACT = """query($id: ID!) { node(id: $id) { ... on SocialContract { id status totalSupport
  termination { reason effectiveDate refundDue refundPaid refundOutstanding }
  residenceEvents { id kind breach { id } } breaches { id status } } } }"""
EVENTS = f"""query($filter: ResidenceEventFilter) {{ residenceEvents(first: 50, filter: $filter) {{ totalCount
  edges {{ node {{ {EVENT_FIELDS} contract {{ id }} breach {{ id }} }} }} }} }}"""
OFFICER = {"role": "OFFICER", "subject": "officer-7"}


async def agency_key(app: Any, code: str) -> str:
    async with transaction(app.state.sessions) as session:
        return (await create_agency_key(session, SYSTEM, code, label="residence e2e"))[1]


async def kandas_contract(gql: GQL, owner: str) -> dict[str, Any]:
    """A KANDAS family of 4 approved by a selection round, its contract signed and support paid:
    1,211,000.00 relocation (70 MRP x 4,325 x 4, the cap) and 129,750.37 rent."""
    app = await submit(gql, submit_input("KANDAS", "KZ-55"), role="APPLICANT", subject=owner)
    await take_through(gql, app["id"])
    quotas = await gql.ok('{ quotas(year: 2026, kind: KANDAS) { id region { code } } }', **OFFICER)
    (quota,) = [q for q in quotas["quotas"] if q["region"]["code"] == "KZ-55"]
    round_ = await ok(gql, ROUND, {"quotaId": quota["id"]})
    assert {"id": app["id"], "status": "APPROVED"} in round_["approved"]
    contract = await ok(gql, SIGN, {"applicationId": app["id"], "startDate": "2026-10-01"})
    assert contract["familySize"] == 4
    await ok(gql, PAY, {"contractId": contract["id"], "measureCode": "RELOCATION", "amount": "1211000.00",
                        "paidOn": "2026-10-05"})
    paid = await ok(gql, PAY, {"contractId": contract["id"], "measureCode": "HOUSING_RENT", "amount": "129750.37",
                               "paidOn": "2026-11-05"})
    assert paid["totalSupport"] == "1340750.37"
    person = app["applicant"]
    return {"id": contract["id"], "citizenship": person["citizenship"], "documentNumber": person["documentNumber"]}


def moved(contract: dict[str, Any], external_id: str, region: str = "KZ-75", on: str = "2026-11-20",
          kind: str = "MOVED") -> dict[str, Any]:
    return {"citizenship": contract["citizenship"], "documentNumber": contract["documentNumber"], "kind": kind,
            "regionCode": region, "occurredOn": on, "externalId": external_id}


COUNTED = (m.ResidenceEvent, m.ContractBreach, m.ContractTermination, m.SocialContract, m.AuditEvent)


async def counts(sessions: Any) -> dict[str, Any]:
    async with sessions() as s:
        found: dict[str, Any] = {model.__tablename__: (await s.execute(select(func.count()).select_from(model)))
                                 .scalar_one() for model in COUNTED}
        found["statuses"] = sorted(map(repr, (await s.execute(select(m.SocialContract.id, m.SocialContract.status))
                                              ).all())) + sorted(map(repr, (await s.execute(
                                                  select(m.ContractBreach.id, m.ContractBreach.status))).all()))
    return found


async def test_a_move_confirmed_as_a_breach_refunds_the_whole_support(gql: GQL, app: Any, sessions: Any) -> None:
    owner = f"family-{uuid.uuid4().hex[:8]}"
    contract = await kandas_contract(gql, owner)
    mvd = await agency_key(app, "MVD_MIGRATION")

    data = await gql.ok(REPORT, {"input": moved(contract, "MVD-2026-000123")}, token=mvd)
    event = data["recordResidenceEvent"]["event"]
    assert data["recordResidenceEvent"]["errors"] == []
    assert (event["kind"], event["region"], event["reportedBy"]) == ("MOVED", {"code": "KZ-75"},
                                                                      {"code": "MVD_MIGRATION"})
    assert event["contract"] is None and event["breach"] is None  # the agency reads what it sent, no more

    # A retry (a lost answer) records nothing new and answers the first event.
    before = await counts(sessions)
    again = await gql.ok(REPORT, {"input": moved(contract, "MVD-2026-000123")}, token=mvd)
    assert again["recordResidenceEvent"] == {"event": event, "errors": []}
    assert await counts(sessions) == before

    open_cases = (await gql.ok(BREACHES, {"filter": {"status": "OPEN"}}, **OFFICER))["contractBreaches"]
    (case,) = [e["node"] for e in open_cases["edges"] if e["node"]["contract"]["id"] == contract["id"]]
    assert case["openedOn"] == "2026-11-20"
    assert case["events"] == [{"id": event["id"], "kind": "MOVED", "region": {"code": "KZ-75"}}]

    resolved = await ok(gql, RESOLVE, {"breachId": case["id"], "outcome": "CONFIRMED",
                                       "note": "registered in Almaty since November"}, **OFFICER)
    assert (resolved["status"], resolved["resolvedBy"], resolved["contract"]) == (
        "CONFIRMED", "officer-7", {"id": contract["id"], "status": "TERMINATED"})
    read = (await gql.ok(CONTRACT, {"id": contract["id"]}, **OFFICER))["node"]
    assert read["termination"] == {"reason": "LEFT_REGION", "effectiveDate": "2026-11-20",
                                   "refundDue": "1340750.37", "refundPaid": "0.00",
                                   "refundOutstanding": "1340750.37"}
    assert read["termination"]["refundDue"] == read["totalSupport"]
    assert read["breaches"] == [{"id": case["id"], "status": "CONFIRMED"}]

    # The family reads its own events, never the cases; others read none of it.
    own = (await gql.ok(CONTRACT, {"id": contract["id"]}, role="APPLICANT", subject=owner))["node"]
    assert own["residenceEvents"] == [{"id": event["id"], "kind": "MOVED", "breach": None}] and own["breaches"] == []
    assert (await gql.ok(EVENTS, role="APPLICANT", subject=owner))["residenceEvents"]["totalCount"] == 1
    assert (await gql.ok(EVENTS, role="APPLICANT", subject="someone-else"))["residenceEvents"]["totalCount"] == 0
    assert (await gql.ok(EVENTS, token=await agency_key(app, "GPO")))["residenceEvents"]["totalCount"] == 0
    mine = (await gql.ok(EVENTS, token=mvd))["residenceEvents"]
    assert [e["node"]["id"] for e in mine["edges"]] == [event["id"]]
    for who in ({"role": "APPLICANT", "subject": owner}, {"token": mvd}):
        body = await gql(BREACHES, **who)
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # Officers filter the events and the cases.
    async def events_for(filter: dict[str, Any]) -> list[str]:
        data = await gql.ok(EVENTS, {"filter": filter}, **OFFICER)
        return [e["node"]["id"] for e in data["residenceEvents"]["edges"]]

    assert await events_for({"contractId": contract["id"]}) == [event["id"]]
    assert await events_for({"contractId": contract["id"], "kind": "MOVED", "regionCode": "kz-75"}) == [event["id"]]
    assert await events_for({"contractId": contract["id"], "kind": "REGISTERED"}) == []
    assert await events_for({"contractId": contract["id"], "regionCode": "KZ-55"}) == []
    assert await events_for({"contractId": contract["id"], "openBreach": True}) == []  # its case is CONFIRMED now
    assert await events_for({"contractId": contract["id"], "openBreach": False}) == [event["id"]]
    bad = await gql(EVENTS, {"filter": {"contractId": event["id"]}}, **OFFICER)
    extensions = bad["errors"][0]["extensions"]
    assert (extensions["code"], extensions["field"]) == ("INVALID_INPUT", ["filter", "contractId"])
    by_region = await gql.ok(BREACHES, {"filter": {"regionCode": "KZ-55", "status": "CONFIRMED"}}, **OFFICER)
    assert [e["node"]["id"] for e in by_region["contractBreaches"]["edges"]] == [case["id"]]
    assert (await gql.ok(BREACHES, {"filter": {"regionCode": "KZ-75"}}, **OFFICER))["contractBreaches"] == {
        "totalCount": 0, "edges": []}
    # The retry still answers once the contract has ended.
    assert (await gql.ok(REPORT, {"input": moved(contract, "MVD-2026-000123")}, token=mvd)
            )["recordResidenceEvent"]["event"] == event


async def test_a_dismissed_breach_leaves_the_contract_active(gql: GQL, app: Any, sessions: Any) -> None:
    contract = await kandas_contract(gql, f"family-{uuid.uuid4().hex[:8]}")
    mvd = await agency_key(app, "MVD_MIGRATION")
    event = (await gql.ok(REPORT, {"input": moved(contract, "D-1", region="KZ-55", kind="DEREGISTERED")},
                          token=mvd))["recordResidenceEvent"]["event"]
    back = await gql.ok(REPORT, {"input": moved(contract, "D-2", region="KZ-55", kind="REGISTERED",
                                                on="2026-11-22")}, token=mvd)
    case = (await gql.ok(CONTRACT, {"id": contract["id"]}, **OFFICER))["node"]["breaches"][0]
    resolved = await ok(gql, RESOLVE, {"breachId": case["id"], "outcome": "DISMISSED",
                                       "note": "re-registered at a new address in Pavlodar two days later"}, **OFFICER)
    assert resolved["status"] == "DISMISSED"
    assert resolved["events"] == [{"id": event["id"], "kind": "DEREGISTERED"},
                                  {"id": back["recordResidenceEvent"]["event"]["id"], "kind": "REGISTERED"}]
    read = (await gql.ok(CONTRACT, {"id": contract["id"]}, **OFFICER))["node"]
    assert (read["status"], read["termination"], read["totalSupport"]) == ("ACTIVE", None, "1340750.37")


async def test_every_refused_action_writes_nothing(gql: GQL, app: Any, sessions: Any) -> None:
    owner = f"family-{uuid.uuid4().hex[:8]}"
    contract = await kandas_contract(gql, owner)
    mvd, gpo = await agency_key(app, "MVD_MIGRATION"), await agency_key(app, "GPO")
    event = (await gql.ok(REPORT, {"input": moved(contract, "R-1")}, token=mvd))["recordResidenceEvent"]["event"]
    case_id = (await gql.ok(CONTRACT, {"id": contract["id"]}, **OFFICER))["node"]["breaches"][0]["id"]

    async def refused(doc: str, input: dict[str, Any], code: str, field: list[str] | None, **who: Any) -> None:
        before = await counts(sessions)
        error = one_error(await gql.ok(doc, {"input": input}, **who))
        assert (error["code"], error["field"]) == (code, field), error
        assert error["message"]
        assert await counts(sessions) == before

    await refused(REPORT, moved(contract, "R-2"), "FORBIDDEN", None, **OFFICER)
    await refused(REPORT, moved(contract, "R-2"), "FORBIDDEN", None, role="APPLICANT", subject=owner)
    await refused(REPORT, moved(contract, "R-2"), "FORBIDDEN", None, token=gpo)
    await refused(REPORT, {**moved(contract, "R-2"), "documentNumber": "ZZ9999999"}, "NOT_FOUND",
                  ["input", "documentNumber"], token=mvd)
    await refused(REPORT, moved(contract, "R-2", on="2026-12-05"), "INVALID_INPUT", ["input", "occurredOn"], token=mvd)
    await refused(REPORT, moved(contract, "R-2", on="2026-09-30"), "INVALID_INPUT", ["input", "occurredOn"], token=mvd)
    await refused(REPORT, moved(contract, "R-2", region="KZ-00"), "INVALID_INPUT", ["input", "regionCode"], token=mvd)
    await refused(REPORT, moved(contract, ""), "INVALID_INPUT", ["input", "externalId"], token=mvd)
    await refused(REPORT, moved(contract, "R-1", region="KZ-71"), "DUPLICATE", ["input", "externalId"], token=mvd)

    confirm = {"breachId": case_id, "outcome": "CONFIRMED", "note": "left"}
    await refused(RESOLVE, confirm, "FORBIDDEN", None, role="APPLICANT", subject=owner)
    await refused(RESOLVE, confirm, "FORBIDDEN", None, token=mvd)
    await refused(RESOLVE, {**confirm, "breachId": ids.encode("ContractBreach", 999999)}, "NOT_FOUND",
                  ["input", "breachId"], **OFFICER)
    await refused(RESOLVE, {**confirm, "breachId": event["id"]}, "NOT_FOUND", ["input", "breachId"], **OFFICER)
    await refused(RESOLVE, {**confirm, "note": " "}, "INVALID_INPUT", ["input", "note"], **OFFICER)
    await ok(gql, RESOLVE, confirm, **OFFICER)
    await refused(RESOLVE, confirm, "INVALID_STATE", ["input", "breachId"], **OFFICER)
    await refused(RESOLVE, {**confirm, "outcome": "DISMISSED"}, "INVALID_STATE", ["input", "breachId"], **OFFICER)
    # The contract has ended: a new event about the person matches no ACTIVE contract.
    await refused(REPORT, moved(contract, "R-3"), "NOT_FOUND", ["input", "documentNumber"], token=mvd)


async def test_officers_list_contracts_whose_residence_is_unconfirmed(gql: GQL, app: Any, sessions: Any,
                                                                       clock: Any) -> None:
    contract = await kandas_contract(gql, f"family-{uuid.uuid4().hex[:8]}")
    query = """query($filter: ContractFilter) { contracts(first: 50, filter: $filter) { totalCount
      edges { node { id } } } }"""

    async def listed(value: bool) -> list[str]:
        data = await gql.ok(query, {"filter": {"residenceUnconfirmed": value}}, **OFFICER)
        return [e["node"]["id"] for e in data["contracts"]["edges"]]

    assert contract["id"] in await listed(False) and contract["id"] not in await listed(True)
    clock.pin(dt.date(2027, 10, 2))  # one year and a day after the start, no REGISTERED event
    assert contract["id"] in await listed(True) and contract["id"] not in await listed(False)
    mvd = await agency_key(app, "MVD_MIGRATION")
    await gql.ok(REPORT, {"input": moved(contract, "U-1", region="KZ-55", kind="REGISTERED", on="2027-09-01")},
                 token=mvd)
    assert contract["id"] not in await listed(True)
    clock.pin(dt.date(2028, 9, 2))
    assert contract["id"] in await listed(True)
