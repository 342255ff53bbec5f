"""Kandas status (SPEC §12): granted by the selection round with the approval, read
as EXPIRED past its date, extended once by 1–6 months, ended for a reason, needed
by signContract; the officers' list of statuses expiring soon. Over GraphQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

import models as m
from api.graphql import ids
from core.db import transaction
from models.base import today_almaty
from services import kandas
from services.auth import create_agency_key
from services.viewer import SYSTEM
from tests import factories as f

ERRORS = "errors { field code message }"
STATUS_FIELDS = "id number grantedOn validUntil status extendedMonths endReason endedOn application { id }"
ROUND = ("mutation($input: RunSelectionRoundInput!) { runSelectionRound(input: $input) { "
         f"round {{ approved {{ id kandasStatus {{ {STATUS_FIELDS} }} }} }} {ERRORS} }} }}")
SIGN = f"mutation($input: SignContractInput!) {{ signContract(input: $input) {{ contract {{ id status }} {ERRORS} }} }}"
EXTEND = ("mutation($input: ExtendKandasStatusInput!) { extendKandasStatus(input: $input) { "
          f"kandasStatus {{ {STATUS_FIELDS} }} {ERRORS} }} }}")
END = ("mutation($input: EndKandasStatusInput!) { endKandasStatus(input: $input) { "
       f"kandasStatus {{ {STATUS_FIELDS} }} {ERRORS} }} }}")
STATUS_OF = f"query($id: ID!) {{ application(id: $id) {{ id kandasStatus {{ {STATUS_FIELDS} }} }} }}"
NODE = f"query($id: ID!) {{ node(id: $id) {{ ... on KandasStatus {{ {STATUS_FIELDS} }} }} }}"
LIST = ("query($filter: KandasStatusFilter, $after: String, $first: Int) { kandasStatuses(filter: $filter, "
        "after: $after, first: $first) { totalCount pageInfo { hasNextPage endCursor } "
        "edges { node { number validUntil status } } } }")


def gid(type_name: str, pk: int) -> str:
    return ids.encode(type_name, pk)


def errors_of(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def rows(sessions: Any) -> dict[str, int]:
    """Row counts a refused action must leave as they were (and the statuses as stored)."""
    async with sessions() as s:
        counts = {model.__tablename__: (await s.execute(select(func.count()).select_from(model))).scalar_one()
                  for model in (m.KandasStatus, m.SocialContract, m.AuditEvent)}
        stored = (await s.execute(select(m.KandasStatus.id, m.KandasStatus.valid_until, m.KandasStatus.status,
                                         m.KandasStatus.extended_months).order_by(m.KandasStatus.id))).all()
    return {**counts, "stored": [tuple(r) for r in stored]}  # type: ignore[dict-item]


async def mutate(gql: Any, doc: str, input: dict[str, Any], role: str = "OFFICER", **who: Any) -> dict[str, Any]:
    (payload,) = (await gql.ok(doc, {"input": input}, role=role, **who)).values()
    return payload


async def approved_with_status(sessions: Any, **kw: Any) -> tuple[m.Application, m.KandasStatus]:
    async with transaction(sessions) as s:
        app = await f.make_approved_kandas(s, **kw)
        status = (await s.execute(select(m.KandasStatus).where(m.KandasStatus.application_id == app.id))).scalar_one()
    return app, status


# ---------------------------------------------------------------- granted by the round


async def test_a_family_approved_by_a_round_gets_its_status_and_signs_its_contract(gql: Any, sessions: Any) -> None:
    today = today_almaty()
    async with transaction(sessions) as s:
        quota = await f.kandas_quota(s, "KZ-55", year=today.year, capacity=5, used=0)
        first = await f.make_passed_application(s, score=600, family_size=3)
        second = await f.make_passed_application(s, score=500, family_size=2)
        too_big = await f.make_passed_application(s, score=450, family_size=4)
    ran = await mutate(gql, ROUND, {"quotaId": gid("Quota", quota.id)})
    assert ran["errors"] == []
    approved = ran["round"]["approved"]
    assert [a["id"] for a in approved] == [gid("Application", first.id), gid("Application", second.id)]
    valid_until = today.replace(year=today.year + 1)
    for position, app in enumerate(approved, start=1):
        status = app["kandasStatus"]
        assert status["number"] == f"KS-{today.year}-{position:06d}"
        assert (status["grantedOn"], status["validUntil"], status["status"]) == (
            today.isoformat(), valid_until.isoformat(), "ACTIVE")
        assert (status["extendedMonths"], status["endReason"], status["endedOn"]) == (None, None, None)
        assert status["application"]["id"] == app["id"]
    # The one passed over has none; the grants are audited with the round.
    left = (await gql.ok(STATUS_OF, {"id": gid("Application", too_big.id)}, role="OFFICER"))["application"]
    assert left["kandasStatus"] is None
    async with sessions() as s:
        granted = (await s.execute(select(func.count()).select_from(m.AuditEvent)
                                   .where(m.AuditEvent.action == "kandas_status.grant"))).scalar_one()
    assert granted == 2

    signed = await mutate(gql, SIGN, {"applicationId": gid("Application", first.id), "startDate": today.isoformat()})
    assert signed["errors"] == [] and signed["contract"]["status"] == "ACTIVE"


async def test_a_dry_run_grants_nothing(gql: Any, sessions: Any) -> None:
    async with transaction(sessions) as s:
        quota = await f.kandas_quota(s, "KZ-55", year=today_almaty().year, capacity=5, used=0)
        await f.make_passed_application(s, score=600, family_size=3)
    before = await rows(sessions)
    ran = await mutate(gql, ROUND, {"quotaId": gid("Quota", quota.id), "dryRun": True})
    assert ran["errors"] == [] and len(ran["round"]["approved"]) == 1
    assert await rows(sessions) == before


# ---------------------------------------------------------------- signContract needs it


async def test_sign_contract_is_refused_without_an_active_status(gql: Any, sessions: Any, clock: Any) -> None:
    async with transaction(sessions) as s:
        none = await f.make_approved_kandas(s, kandas_status=False)
    ended, ended_status = await approved_with_status(sessions)
    late, late_status = await approved_with_status(sessions)
    clock.pin(dt.date(2026, 12, 4))
    done = await mutate(gql, END, {"statusId": gid("KandasStatus", ended_status.id), "reason": "DEPARTED",
                                   "endedOn": "2026-06-01"})
    assert done["errors"] == [] and done["kandasStatus"]["status"] == "ENDED"
    before = await rows(sessions)
    cases = [
        (none, "2026-03-01", ["input", "applicationId"], "has none"),
        (ended, "2026-03-01", ["input", "applicationId"], "ended on 2026-06-01 (DEPARTED)"),
        (late, (late_status.valid_until + dt.timedelta(days=1)).isoformat(), ["input", "startDate"],
         f"valid until {late_status.valid_until.isoformat()}"),
    ]
    for app, start, field, says in cases:
        payload = await mutate(gql, SIGN, {"applicationId": gid("Application", app.id), "startDate": start})
        assert payload["contract"] is None and errors_of(payload) == [("INVALID_STATE", field)], payload
        assert says in payload["errors"][0]["message"]
    assert await rows(sessions) == before
    # On its last valid day the status still allows the contract.
    signed = await mutate(gql, SIGN, {"applicationId": gid("Application", late.id),
                                      "startDate": late_status.valid_until.isoformat()})
    assert signed["errors"] == []


# ---------------------------------------------------------------- extension


async def test_one_extension_of_one_to_six_months(gql: Any, sessions: Any, clock: Any) -> None:
    app, status = await approved_with_status(sessions, decided_at=dt.datetime(2026, 8, 31, 6, tzinfo=dt.timezone.utc))
    assert (status.granted_on, status.valid_until) == (dt.date(2026, 8, 31), dt.date(2027, 8, 31))
    sid = gid("KandasStatus", status.id)
    before = await rows(sessions)
    for months in (0, 7, -1):
        payload = await mutate(gql, EXTEND, {"statusId": sid, "months": months})
        assert payload["kandasStatus"] is None and errors_of(payload) == [("INVALID_INPUT", ["input", "months"])]
    payload = await mutate(gql, EXTEND, {"statusId": sid, "months": 3}, role="APPLICANT")
    assert errors_of(payload) == [("FORBIDDEN", None)]
    missing = await mutate(gql, EXTEND, {"statusId": gid("KandasStatus", 987654), "months": 3})
    assert errors_of(missing) == [("NOT_FOUND", ["input", "statusId"])]
    assert await rows(sessions) == before

    extended = await mutate(gql, EXTEND, {"statusId": sid, "months": 6})
    assert extended["errors"] == []
    assert (extended["kandasStatus"]["validUntil"], extended["kandasStatus"]["extendedMonths"]) == ("2028-02-29", 6)
    before = await rows(sessions)
    again = await mutate(gql, EXTEND, {"statusId": sid, "months": 1})
    assert errors_of(again) == [("INVALID_STATE", ["input", "statusId"])]
    assert "extended once" in again["errors"][0]["message"]
    assert await rows(sessions) == before


async def test_an_expired_or_ended_status_is_not_extended(gql: Any, sessions: Any, clock: Any) -> None:
    _, status = await approved_with_status(sessions)
    _, ended = await approved_with_status(sessions)
    sid = gid("KandasStatus", status.id)
    clock.pin(status.valid_until)  # its last valid day: still ACTIVE, still extendable (checked below)
    assert (await gql.ok(NODE, {"id": sid}, role="OFFICER"))["node"]["status"] == "ACTIVE"
    clock.pin(status.valid_until + dt.timedelta(days=1))
    assert (await gql.ok(NODE, {"id": sid}, role="OFFICER"))["node"]["status"] == "EXPIRED"
    before = await rows(sessions)
    late = await mutate(gql, EXTEND, {"statusId": sid, "months": 2})
    assert errors_of(late) == [("INVALID_STATE", ["input", "statusId"])]
    assert f"expired on {status.valid_until.isoformat()}" in late["errors"][0]["message"]
    assert await rows(sessions) == before

    clock.pin(ended.granted_on + dt.timedelta(days=10))
    await mutate(gql, END, {"statusId": gid("KandasStatus", ended.id), "reason": "CITIZENSHIP_GRANTED",
                            "endedOn": (ended.granted_on + dt.timedelta(days=5)).isoformat()})
    refused = await mutate(gql, EXTEND, {"statusId": gid("KandasStatus", ended.id), "months": 2})
    assert errors_of(refused) == [("INVALID_STATE", ["input", "statusId"])]
    assert "has ended" in refused["errors"][0]["message"]


async def test_extension_on_the_last_valid_day(gql: Any, sessions: Any, clock: Any) -> None:
    _, status = await approved_with_status(sessions)
    clock.pin(status.valid_until)
    payload = await mutate(gql, EXTEND, {"statusId": gid("KandasStatus", status.id), "months": 1})
    assert payload["errors"] == [] and payload["kandasStatus"]["status"] == "ACTIVE"


# ---------------------------------------------------------------- end


async def test_end_a_status_for_a_reason(gql: Any, sessions: Any, clock: Any) -> None:
    _, status = await approved_with_status(sessions)
    sid = gid("KandasStatus", status.id)
    clock.pin(status.granted_on + dt.timedelta(days=30))
    before = await rows(sessions)
    for ended_on in (status.granted_on - dt.timedelta(days=1), status.granted_on + dt.timedelta(days=31)):
        payload = await mutate(gql, END, {"statusId": sid, "reason": "REVOKED", "endedOn": ended_on.isoformat()})
        assert errors_of(payload) == [("INVALID_INPUT", ["input", "endedOn"])]
    assert errors_of(await mutate(gql, END, {"statusId": sid, "reason": "REVOKED", "endedOn": "2026-03-01"},
                                  role="APPLICANT")) == [("FORBIDDEN", None)]
    assert await rows(sessions) == before
    ended_on = (status.granted_on + dt.timedelta(days=20)).isoformat()
    done = await mutate(gql, END, {"statusId": sid, "reason": "REVOKED", "endedOn": ended_on})
    assert done["errors"] == []
    assert (done["kandasStatus"]["status"], done["kandasStatus"]["endReason"], done["kandasStatus"]["endedOn"]) == (
        "ENDED", "REVOKED", ended_on)
    before = await rows(sessions)
    again = await mutate(gql, END, {"statusId": sid, "reason": "DEPARTED", "endedOn": ended_on})
    assert errors_of(again) == [("INVALID_STATE", ["input", "statusId"])]
    assert await rows(sessions) == before
    # Ended stays ENDED, even past its date.
    clock.pin(status.valid_until + dt.timedelta(days=100))
    assert (await gql.ok(NODE, {"id": sid}, role="OFFICER"))["node"]["status"] == "ENDED"


# ---------------------------------------------------------------- lists and access


async def test_officers_list_statuses_expiring_soon_soonest_first(gql: Any, sessions: Any, clock: Any) -> None:
    for decided_on in (dt.date(2025, 12, 20), dt.date(2025, 12, 5), dt.date(2025, 12, 12), dt.date(2026, 1, 9)):
        await approved_with_status(sessions, decided_at=dt.datetime.combine(
            decided_on, dt.time(6), tzinfo=dt.timezone.utc))
    _, ended = await approved_with_status(sessions, decided_at=dt.datetime(2025, 12, 6, 6, tzinfo=dt.timezone.utc))
    clock.pin(dt.date(2026, 12, 1))
    await mutate(gql, END, {"statusId": gid("KandasStatus", ended.id), "reason": "DEPARTED", "endedOn": "2026-11-01"})
    data = (await gql.ok(LIST, {"filter": {"expiringWithinDays": 20}}, role="OFFICER"))["kandasStatuses"]
    got = [(e["node"]["validUntil"], e["node"]["status"]) for e in data["edges"]]
    assert got == [("2026-12-05", "ACTIVE"), ("2026-12-12", "ACTIVE"), ("2026-12-20", "ACTIVE")]
    assert data["totalCount"] == 3
    # Keyset pages give the same order.
    page = (await gql.ok(LIST, {"filter": {"expiringWithinDays": 20}, "first": 2}, role="OFFICER"))["kandasStatuses"]
    assert page["pageInfo"]["hasNextPage"]
    rest = (await gql.ok(LIST, {"filter": {"expiringWithinDays": 20}, "first": 2,
                                "after": page["pageInfo"]["endCursor"]}, role="OFFICER"))["kandasStatuses"]
    assert [e["node"]["validUntil"] for e in page["edges"] + rest["edges"]] == [g[0] for g in got]
    clock.pin(dt.date(2026, 12, 13))
    expired = (await gql.ok(LIST, {"filter": {"status": "EXPIRED"}}, role="OFFICER"))["kandasStatuses"]
    assert [e["node"]["validUntil"] for e in expired["edges"]] == ["2026-12-05", "2026-12-12"]
    ended_list = (await gql.ok(LIST, {"filter": {"status": "ENDED"}}, role="OFFICER"))["kandasStatuses"]
    assert [e["node"]["number"] for e in ended_list["edges"]] == [ended.number]
    bad = await gql(LIST, {"filter": {"expiringWithinDays": -1}}, role="OFFICER")
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert bad["errors"][0]["extensions"]["field"] == ["filter", "expiringWithinDays"]
    refused = await gql(LIST, {}, role="APPLICANT")
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_applicant_reads_their_own_status_agencies_none(gql: Any, sessions: Any) -> None:
    mine, status = await approved_with_status(sessions, owner_subject="alice")
    sid = gid("KandasStatus", status.id)
    own = (await gql.ok(STATUS_OF, {"id": gid("Application", mine.id)}, role="APPLICANT", subject="alice"))
    assert own["application"]["kandasStatus"]["number"] == status.number
    assert (await gql.ok(NODE, {"id": sid}, role="APPLICANT", subject="alice"))["node"]["number"] == status.number
    assert (await gql.ok(NODE, {"id": sid}, role="APPLICANT", subject="bob"))["node"] is None
    async with transaction(sessions) as s:
        _, key = await create_agency_key(s, SYSTEM, "GPO", label="test")
    assert (await gql.ok(NODE, {"id": sid}, token=key))["node"] is None
    refused = await gql(LIST, {}, token=key)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_the_rules_as_pure_functions() -> None:
    assert kandas.valid_until_of(dt.date(2028, 2, 29)) == dt.date(2029, 2, 28)
    assert kandas.state_on("ACTIVE", dt.date(2026, 5, 1), dt.date(2026, 5, 1)) == "ACTIVE"
    assert kandas.state_on("ACTIVE", dt.date(2026, 5, 1), dt.date(2026, 5, 2)) == "EXPIRED"
    assert kandas.state_on("ENDED", dt.date(2026, 5, 1), dt.date(2027, 5, 2)) == "ENDED"
    assert [kandas.extension_problem(n) is None for n in (0, 1, 6, 7)] == [False, True, True, False]
