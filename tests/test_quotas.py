"""Quotas (upsertQuota), selection rounds (runSelectionRound) and LABOUR seats (SPEC §5)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

import models as m
from api.graphql import ids
from models.enums import ApplicationStatus, QuotaKind, Route
from services import quotas as quota_service
from services.errors import ErrorCode, ServiceError
from services.viewer import SYSTEM, Viewer
from tests import factories as f

UTC = dt.timezone.utc

UPSERT = """
mutation($input: UpsertQuotaInput!) {
  upsertQuota(input: $input) {
    quota { id kind year capacity used remaining occupationCode region { code } }
    errors { field code message }
  }
}"""

ROUND = """
mutation($input: RunSelectionRoundInput!) {
  runSelectionRound(input: $input) {
    round { id dryRun ranAt cutoffScore quota { id capacity used remaining } approved { id status } }
    errors { field code message }
  }
}"""

NODE_ROUND = """
query($id: ID!) {
  node(id: $id) {
    ... on SelectionRound { id dryRun cutoffScore quota { id used } approved { id status } }
  }
}"""


def gid(type_name: str, pk: int) -> str:
    return ids.encode(type_name, pk)


def app_ids(apps: list[m.Application]) -> list[str]:
    return [gid("Application", a.id) for a in apps]


async def upsert(gql: Any, role: str = "ADMIN", **input: Any) -> dict[str, Any]:
    body = {"kind": "KANDAS", "year": 2027, "regionCode": "KZ-55", "capacity": 10, **input}
    return (await gql.ok(UPSERT, {"input": body}, role=role))["upsertQuota"]


async def run_round(gql: Any, quota_id: int, *, dry_run: bool | None = None, role: str = "OFFICER") -> dict[str, Any]:
    variables = {"input": {"quotaId": gid("Quota", quota_id), **({} if dry_run is None else {"dryRun": dry_run})}}
    return (await gql.ok(ROUND, variables, role=role))["runSelectionRound"]


async def count(sessions: Any, model: type, *where: Any) -> int:
    async with sessions() as s:
        return (await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


async def statuses(sessions: Any, apps: list[m.Application]) -> list[str]:
    async with sessions() as s:
        rows = dict((await s.execute(
            select(m.Application.id, m.Application.status).where(m.Application.id.in_([a.id for a in apps]))
        )).all())
    return [rows[a.id].value for a in apps]


async def quota_row(sessions: Any, quota_id: int) -> m.Quota:
    async with sessions() as s:
        return (await s.execute(select(m.Quota).where(m.Quota.id == quota_id))).scalar_one()


# ---------------------------------------------------------------- upsertQuota


async def test_admin_creates_a_kandas_quota_and_audits_it(gql: Any, sessions: Any) -> None:
    payload = await upsert(gql, year=2027, regionCode="KZ-55", capacity=900)
    assert payload["errors"] == []
    q = payload["quota"]
    assert (q["kind"], q["year"], q["capacity"], q["used"], q["remaining"]) == ("KANDAS", 2027, 900, 0, 900)
    assert q["region"]["code"] == "KZ-55" and q["occupationCode"] is None
    assert await count(sessions, m.AuditEvent, m.AuditEvent.action == "quota.create") == 1
    listed = (await gql.ok("query { quotas(year: 2027, kind: KANDAS) { id capacity } }", role="OFFICER"))["quotas"]
    assert listed == [{"id": q["id"], "capacity": 900}]
    labour = await upsert(gql, kind="LABOUR", year=2027, regionCode="KZ-39", occupationCode="2211", capacity=4)
    assert labour["errors"] == []
    assert (labour["quota"]["kind"], labour["quota"]["occupationCode"], labour["quota"]["capacity"]) == ("LABOUR", "2211", 4)


async def test_upsert_updates_the_existing_quota_never_below_used(gql: Any, sessions: Any) -> None:
    async with sessions.begin() as s:
        quota = await f.kandas_quota(s, "KZ-27", 2026, capacity=30, used=12)
    payload = await upsert(gql, year=2026, regionCode="KZ-27", capacity=35)
    assert payload["errors"] == []
    assert payload["quota"]["id"] == gid("Quota", quota.id)
    assert (payload["quota"]["capacity"], payload["quota"]["used"], payload["quota"]["remaining"]) == (35, 12, 23)
    assert await count(sessions, m.Quota, m.Quota.kind == QuotaKind.KANDAS, m.Quota.year == 2026) == 8
    assert await count(sessions, m.AuditEvent, m.AuditEvent.action == "quota.update") == 1

    payload = await upsert(gql, year=2026, regionCode="KZ-27", capacity=11)
    assert payload["quota"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID_INPUT", ["input", "capacity"])]
    assert "12" in payload["errors"][0]["message"]
    assert (await quota_row(sessions, quota.id)).capacity == 35
    # Exactly ``used`` is allowed: the quota is then full.
    payload = await upsert(gql, year=2026, regionCode="KZ-27", capacity=12)
    assert payload["errors"] == [] and payload["quota"]["remaining"] == 0
    assert await count(sessions, m.AuditEvent, m.AuditEvent.action == "quota.update") == 2


UPSERT_INPUT_ERRORS: list[tuple[dict[str, Any], list[str]]] = [
    ({"regionCode": "KZ-99"}, ["input", "regionCode"]),
    ({"regionCode": "KZ-75"}, ["input", "regionCode"]),  # Almaty city: not a labour-deficit region
    ({"capacity": -1}, ["input", "capacity"]),
    ({"year": 1999}, ["input", "year"]),
    ({"occupationCode": "2211"}, ["input", "occupationCode"]),  # KANDAS has no occupation
    ({"kind": "LABOUR"}, ["input", "occupationCode"]),  # LABOUR needs one
    ({"kind": "LABOUR", "occupationCode": "9999"}, ["input", "occupationCode"]),
]


async def test_upsert_refusals_write_nothing(gql: Any, sessions: Any) -> None:
    before = await count(sessions, m.Quota)
    for input, field in UPSERT_INPUT_ERRORS:
        payload = await upsert(gql, **input)
        assert payload["quota"] is None, input
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID_INPUT", field)], input
    # Only administrators write quotas; everyone signed in reads them.
    for role in ("OFFICER", "APPLICANT"):
        payload = await upsert(gql, role=role)
        assert payload["quota"] is None and [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]
    anonymous = await gql(UPSERT, {"input": {"kind": "KANDAS", "year": 2027, "regionCode": "KZ-55", "capacity": 1}})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await count(sessions, m.Quota) == before
    assert await count(sessions, m.AuditEvent, m.AuditEvent.action.like("quota.%")) == 0


# ---------------------------------------------------------------- selection rounds


async def test_ranking_and_tie_breaks(gql: Any, sessions: Any) -> None:
    t0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    async with sessions.begin() as s:
        quota = await f.kandas_quota(s, "KZ-55", 2026, capacity=100, used=0)
        late_600 = await f.make_passed_application(s, score=600, family_size=1, submitted_at=t0 + dt.timedelta(hours=2))
        early_600 = await f.make_passed_application(s, score=600, family_size=1, submitted_at=t0 + dt.timedelta(hours=1))
        same_time_low_id = await f.make_passed_application(s, score=500, family_size=1, submitted_at=t0)
        same_time_high_id = await f.make_passed_application(s, score=500, family_size=1, submitted_at=t0)
        top = await f.make_passed_application(s, score=650, family_size=2, submitted_at=t0 + dt.timedelta(days=9))
    assert same_time_low_id.id < same_time_high_id.id
    payload = await run_round(gql, quota.id)
    assert payload["errors"] == []
    expected = [top, early_600, late_600, same_time_low_id, same_time_high_id]
    assert [a["id"] for a in payload["round"]["approved"]] == app_ids(expected)
    assert all(a["status"] == "APPROVED" for a in payload["round"]["approved"])
    assert payload["round"]["cutoffScore"] == 500
    assert payload["round"]["quota"]["used"] == 6
    async with sessions() as s:
        approvals = (await s.execute(select(m.SelectionRoundApproval).order_by(m.SelectionRoundApproval.rank))).scalars().all()
    assert [(a.application_id, a.rank, a.score, a.seats) for a in approvals] == [
        (top.id, 1, 650, 2), (early_600.id, 2, 600, 1), (late_600.id, 3, 600, 1),
        (same_time_low_id.id, 4, 500, 1), (same_time_high_id.id, 5, 500, 1)]


async def test_tie_breaks_decide_the_last_seats(gql: Any, sessions: Any) -> None:
    t0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    async with sessions.begin() as s:
        quota = await f.kandas_quota(s, "KZ-27", 2026, capacity=2, used=0)
        later = await f.make_passed_application(s, region_code="KZ-27", score=450, family_size=1,
                                                submitted_at=t0 + dt.timedelta(seconds=1))
        low_id = await f.make_passed_application(s, region_code="KZ-27", score=450, family_size=1, submitted_at=t0)
        high_id = await f.make_passed_application(s, region_code="KZ-27", score=450, family_size=1, submitted_at=t0)
    payload = await run_round(gql, quota.id)
    assert [a["id"] for a in payload["round"]["approved"]] == app_ids([low_id, high_id])
    assert await statuses(sessions, [low_id, high_id, later]) == ["APPROVED", "APPROVED", "PASSED"]


async def test_a_family_that_does_not_fit_is_passed_over(gql: Any, sessions: Any) -> None:
    async with sessions.begin() as s:
        quota = await f.kandas_quota(s, "KZ-27", 2026, capacity=7, used=2)  # 5 seats left
        big = await f.make_passed_application(s, region_code="KZ-27", score=600, family_size=4)
        too_big = await f.make_passed_application(s, region_code="KZ-27", score=550, family_size=3)
        small = await f.make_passed_application(s, region_code="KZ-27", score=420, family_size=1)
        after_full = await f.make_passed_application(s, region_code="KZ-27", score=410, family_size=1)
    payload = await run_round(gql, quota.id)
    assert payload["errors"] == []
    r = payload["round"]
    assert [a["id"] for a in r["approved"]] == app_ids([big, small])
    assert r["cutoffScore"] == 420
    assert (r["quota"]["used"], r["quota"]["remaining"]) == (7, 0)
    assert await statuses(sessions, [big, too_big, small, after_full]) == ["APPROVED", "PASSED", "APPROVED", "PASSED"]
    async with sessions() as s:
        rows = {a.id: a for a in (await s.execute(
            select(m.Application).where(m.Application.id.in_([big.id, small.id])))).scalars()}
        rnd = (await s.execute(select(m.SelectionRound))).scalar_one()
    assert (rows[big.id].seats, rows[big.id].quota_id) == (4, quota.id)
    assert (rows[small.id].seats, rows[small.id].quota_id) == (1, quota.id)
    assert rows[big.id].decided_at is not None
    assert (rnd.seats_taken, rnd.cutoff_score, rnd.ran_by) == (5, 420, "officer-1")
    # A second round has no seats left: nobody approved, cutoff null, nothing changed.
    again = await run_round(gql, quota.id)
    assert again["round"]["approved"] == [] and again["round"]["cutoffScore"] is None
    assert again["round"]["quota"]["used"] == 7


async def test_only_passed_kandas_applications_of_the_region_and_year(gql: Any, sessions: Any) -> None:
    async with sessions.begin() as s:
        quota = await f.kandas_quota(s, "KZ-27", 2026, capacity=50, used=0)
        eligible = await f.make_passed_application(s, region_code="KZ-27", score=500, family_size=2)
        carried_over = await f.make_passed_application(
            s, region_code="KZ-27", score=480, family_size=1, submitted_at=dt.datetime(2025, 11, 3, tzinfo=UTC))
        others = [
            await f.make_passed_application(s, region_code="KZ-55", score=690, family_size=1),
            await f.make_passed_application(s, region_code="KZ-27", route=Route.GENERAL, score=690, family_size=1),
            await f.make_passed_application(s, region_code="KZ-27", score=690, family_size=1,
                                            status=ApplicationStatus.SUBMITTED),
            await f.make_passed_application(s, region_code="KZ-27", score=300, family_size=1,
                                            status=ApplicationStatus.FAILED),
            await f.make_passed_application(s, region_code="KZ-27", score=690, family_size=1,
                                            status=ApplicationStatus.WITHDRAWN),
            # submitted after the end of 2026 in Almaty (2026-12-31T19:00Z is 2027-01-01 00:00 +05)
            await f.make_passed_application(s, region_code="KZ-27", score=690, family_size=1,
                                            submitted_at=dt.datetime(2026, 12, 31, 19, 0, tzinfo=UTC)),
        ]
    payload = await run_round(gql, quota.id)
    assert [a["id"] for a in payload["round"]["approved"]] == app_ids([eligible, carried_over])
    assert await statuses(sessions, others) == ["PASSED", "PASSED", "SUBMITTED", "FAILED", "WITHDRAWN", "PASSED"]


async def test_dry_run_returns_the_same_answer_and_writes_nothing(gql: Any, sessions: Any) -> None:
    async with sessions.begin() as s:
        quota = await f.kandas_quota(s, "KZ-27", 2026, capacity=6, used=0)
        apps = [await f.make_passed_application(s, region_code="KZ-27", score=score, family_size=size)
                for score, size in [(610, 2), (600, 5), (590, 3), (580, 2), (570, 1)]]

    async def snapshot() -> tuple[Any, ...]:
        q = await quota_row(sessions, quota.id)
        return (await count(sessions, m.SelectionRound), await count(sessions, m.SelectionRoundApproval),
                await count(sessions, m.AuditEvent), q.used, q.updated_at, tuple(await statuses(sessions, apps)))

    before = await snapshot()
    dry = await run_round(gql, quota.id, dry_run=True)
    assert dry["errors"] == []
    assert await snapshot() == before
    assert dry["round"]["dryRun"] is True
    assert dry["round"]["id"] == gid("SelectionRound", 0)
    assert all(a["status"] == "PASSED" for a in dry["round"]["approved"])
    assert dry["round"]["quota"]["used"] == 0
    expected = app_ids([apps[0], apps[2], apps[4]])
    assert [a["id"] for a in dry["round"]["approved"]] == expected  # 2 + 3 + 1 = 6; the 5 and the second 2 skipped

    real = await run_round(gql, quota.id, dry_run=False)
    assert real["round"]["dryRun"] is False
    assert [a["id"] for a in real["round"]["approved"]] == expected
    assert real["round"]["cutoffScore"] == dry["round"]["cutoffScore"] == 570
    assert real["round"]["quota"]["used"] == 6
    assert await count(sessions, m.SelectionRound) == 1
    assert await count(sessions, m.SelectionRoundApproval) == 3
    assert await count(sessions, m.AuditEvent, m.AuditEvent.action == "selection_round.run") == 1
    assert await count(sessions, m.AuditEvent, m.AuditEvent.action == "application.approve") == 3

    # The recorded round is readable through node(id:) by staff, not by applicants.
    node = (await gql.ok(NODE_ROUND, {"id": real["round"]["id"]}, role="ADMIN"))["node"]
    assert node["id"] == real["round"]["id"] and node["dryRun"] is False and node["cutoffScore"] == 570
    assert [a["id"] for a in node["approved"]] == expected
    assert node["quota"] == {"id": gid("Quota", quota.id), "used": 6}
    assert (await gql.ok(NODE_ROUND, {"id": real["round"]["id"]}, role="APPLICANT"))["node"] is None


async def test_round_refusals(gql: Any, sessions: Any) -> None:
    async with sessions.begin() as s:
        labour = await f.labour_quota(s, "KZ-39", "2211", capacity=3)
        kandas = await f.kandas_quota(s, "KZ-27", 2026)
        await f.make_passed_application(s, region_code="KZ-27", score=500, family_size=1)
    payload = await run_round(gql, labour.id)
    assert payload["round"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID_INPUT", ["input", "quotaId"])]
    assert "KANDAS" in payload["errors"][0]["message"]
    missing = await run_round(gql, 999_999)
    assert [e["code"] for e in missing["errors"]] == ["NOT_FOUND"]
    forbidden = await run_round(gql, kandas.id, role="APPLICANT")
    assert forbidden["round"] is None and [e["code"] for e in forbidden["errors"]] == ["FORBIDDEN"]
    assert await count(sessions, m.SelectionRound) == 0
    assert await count(sessions, m.Application, m.Application.status == ApplicationStatus.APPROVED) == 0
    admin = await run_round(gql, kandas.id, role="ADMIN")
    assert len(admin["round"]["approved"]) == 1


# ---------------------------------------------------------------- LABOUR seats


async def test_take_labour_seat_until_exhausted(sessions: Any) -> None:
    async with sessions.begin() as s:
        quota = await f.labour_quota(s, "KZ-39", "2211", capacity=2)
        region_id, occupation_id = quota.region_id, quota.occupation_id
    for _ in range(2):
        async with sessions.begin() as s:
            taken = await quota_service.take_labour_seat(s, region_id=region_id, occupation_id=occupation_id, year=2026)
            assert taken.id == quota.id
    with pytest.raises(ServiceError) as exc:
        async with sessions.begin() as s:
            await quota_service.take_labour_seat(s, region_id=region_id, occupation_id=occupation_id, year=2026)
    assert exc.value.errors[0].code == ErrorCode.QUOTA_EXHAUSTED
    with pytest.raises(ServiceError) as exc:
        async with sessions.begin() as s:
            await quota_service.take_labour_seat(s, region_id=region_id, occupation_id=occupation_id, year=2031)
    assert exc.value.errors[0].code == ErrorCode.QUOTA_EXHAUSTED
    q = await quota_row(sessions, quota.id)
    assert (q.used, q.capacity) == (2, 2)


async def test_selection_round_service_writes_nothing_when_dry(sessions: Any) -> None:
    async with sessions.begin() as s:
        quota = await f.kandas_quota(s, "KZ-27", 2026, capacity=3, used=0)
        a = await f.make_passed_application(s, region_code="KZ-27", score=500, family_size=3)
    async with sessions.begin() as s:
        dry = await quota_service.run_selection_round(s, SYSTEM, quota_id=quota.id, dry_run=True)
    assert dry.round_id is None and dry.approved_ids == [a.id] and dry.seats_taken == 3
    async with sessions.begin() as s:
        real = await quota_service.run_selection_round(s, Viewer(subject="o-7", role="OFFICER"), quota_id=quota.id)
    assert real.round_id is not None and real.approved_ids == [a.id]
    async with sessions() as s:
        assert await quota_service.quota_usage(s, quota.id) == (3, 3)
