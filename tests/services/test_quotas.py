"""Quotas (upsertQuota), selection rounds (runSelectionRound) and LABOUR seats (SPEC §5)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select

import models as m
from api.graphql import ids
from models.enums import ApplicationStatus, QuotaKind, Route
from services import quotas as quota_service
from services.quotas import selection
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


# ---------------------------------------------------------------- set-based rounds (prefix, then the tail walk)

T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
O7 = Viewer(subject="o-7", role="OFFICER")


async def _tail_layout(sessions: Any) -> tuple[m.Quota, list[m.Application]]:
    """10 seats left; ranked 1..9 with families 3 3 | 5 7 3 4 2 1 1.

    The prefix (ranks 1-2) takes 6 seats; rank 3 is the first that does not fit
    (4 seats left); rank 4 (7) never fits; rank 5 (3) does, leaving 1; ranks 6
    (4) and 7 (2) do not; rank 8 (1) takes the last seat; rank 9 is below it."""
    async with sessions.begin() as s:
        quota = await f.kandas_quota(s, "KZ-27", 2026, capacity=13, used=3)
        apps = [await f.make_passed_application(s, region_code="KZ-27", score=680 - 10 * i, family_size=size,
                                                submitted_at=T0 + dt.timedelta(minutes=i))
                for i, size in enumerate([3, 3, 5, 7, 3, 4, 2, 1, 1])]
    return quota, apps


async def test_the_tail_walk_skips_families_that_no_longer_fit_across_chunks(
        sessions: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    quota, apps = await _tail_layout(sessions)
    monkeypatch.setattr(selection, "_TAIL_CHUNK", 2)  # the tail is read in several keyset queries
    async with sessions.begin() as s:
        dry = await quota_service.run_selection_round(s, SYSTEM, quota_id=quota.id, dry_run=True)
    async with sessions.begin() as s:
        real = await quota_service.run_selection_round(s, O7, quota_id=quota.id)
    for result in (dry, real):
        assert [(p.rank, p.candidate.application_id, p.candidate.seats) for p in result.picks] == [
            (1, apps[0].id, 3), (2, apps[1].id, 3), (5, apps[4].id, 3), (8, apps[7].id, 1)]
        # Passed over: only those ranked above the last approved one; rank 9 is only counted.
        assert [c.application_id for c in result.passed_over] == [apps[i].id for i in (2, 3, 5, 6)]
        assert (result.candidates, result.last_rank, result.ranked_below) == (9, 8, 1)
        assert (result.seats_taken, result.cutoff_score) == (10, 610)
    assert await statuses(sessions, apps) == ["APPROVED", "APPROVED", "PASSED", "PASSED", "APPROVED", "PASSED",
                                              "PASSED", "APPROVED", "PASSED"]
    async with sessions() as s:
        assert await quota_service.quota_usage(s, quota.id) == (13, 10)  # 3 were used before
        approvals = (await s.execute(select(m.SelectionRoundApproval.application_id, m.SelectionRoundApproval.rank)
                                     .order_by(m.SelectionRoundApproval.rank))).all()
    assert [tuple(a) for a in approvals] == [(apps[0].id, 1), (apps[1].id, 2), (apps[4].id, 5), (apps[7].id, 8)]


async def test_the_round_audit_lists_the_approved_and_only_the_passed_over_above_them(sessions: Any) -> None:
    quota, apps = await _tail_layout(sessions)
    async with sessions.begin() as s:
        real = await quota_service.run_selection_round(s, O7, quota_id=quota.id)
    async with sessions() as s:
        event = (await s.execute(select(m.AuditEvent).where(m.AuditEvent.action == "selection_round.run"))).scalar_one()
        approvals = (await s.execute(select(m.AuditEvent).where(m.AuditEvent.action == "application.approve")
                                     .order_by(m.AuditEvent.entity_id))).scalars().all()
    assert (event.entity_type, event.entity_id, event.actor_subject) == ("selection_round", real.round_id, "o-7")
    assert event.changes == {
        "quotaId": quota.id, "capacity": 13, "usedBefore": 3, "seatsTaken": 10, "cutoffScore": 610,
        "candidates": 9, "approvedCount": 4, "approved": [apps[i].id for i in (0, 1, 4, 7)],
        "passedOverCount": 4, "passedOver": [apps[i].id for i in (2, 3, 5, 6)], "rankedBelow": 1,
    }
    assert [(e.entity_id, e.changes["rank"], e.changes["seats"]) for e in approvals] == [
        (apps[0].id, 1, 3), (apps[1].id, 2, 3), (apps[4].id, 5, 3), (apps[7].id, 8, 1)]


async def test_a_round_reads_the_prefix_not_every_candidate(sessions: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """40 single applicants for 5 seats: the five approved and the first one past
    them are read from the database, the other 34 are only counted."""
    async with sessions.begin() as s:
        quota = await f.kandas_quota(s, "KZ-27", 2026, capacity=5, used=0)
        apps = [await f.make_passed_application(s, region_code="KZ-27", score=600, family_size=1,
                                                submitted_at=T0 + dt.timedelta(minutes=i)) for i in range(40)]
    read: list[int] = []
    original = selection._candidate

    def counting(row: Any) -> quota_service.Candidate:
        c = original(row)
        read.append(c.application_id)
        return c

    monkeypatch.setattr(selection, "_candidate", counting)
    async with sessions.begin() as s:
        result = await quota_service.run_selection_round(s, O7, quota_id=quota.id)
    assert result.approved_ids == [a.id for a in apps[:5]]
    assert (result.passed_over, result.candidates, result.ranked_below) == ([], 40, 35)
    assert sorted(set(read)) == [a.id for a in apps[:6]]


async def test_a_plan_that_changes_between_its_statements_is_made_again(
        sessions: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Re-reading the candidates from the first one past the prefix to the last pick
    must give the walk's picks again; when it does not (the candidates changed
    between the statements), the round is planned again."""
    quota, apps = await _tail_layout(sessions)
    original = selection._walk
    calls: list[int] = []

    def changed_once(candidates: list[quota_service.Candidate], seats_left: int, first_rank: int = 1) -> Any:
        calls.append(first_rank)
        picks, passed = original(candidates, seats_left, first_rank)
        return (picks[:-1], passed) if len(calls) == 1 else (picks, passed)

    monkeypatch.setattr(selection, "_walk", changed_once)
    async with sessions.begin() as s:
        result = await quota_service.run_selection_round(s, O7, quota_id=quota.id)
    assert calls == [3, 3]
    assert result.approved_ids == [apps[i].id for i in (0, 1, 4, 7)]
    assert await count(sessions, m.SelectionRound) == 1


def _reference_round(rows: list[tuple[int, int, dt.datetime, int]], seats_left: int) -> dict[str, Any]:
    """The round as SPEC §5 words it, one candidate at a time over the whole ranking."""
    ranked = sorted(rows, key=lambda r: (-r[1], r[2], r[0]))
    picks: list[tuple[int, int]] = []
    passed: list[tuple[int, int]] = []
    for rank, (app_id, _score, _at, seats) in enumerate(ranked, start=1):
        if seats <= seats_left:
            picks.append((rank, app_id))
            seats_left -= seats
        else:
            passed.append((rank, app_id))
    last = picks[-1][0] if picks else 0
    return {"picks": picks, "passed_over": [i for rank, i in passed if rank < last],
            "candidates": len(ranked), "ranked_below": len(ranked) - last}


def _observed(result: quota_service.RoundResult) -> dict[str, Any]:
    return {"picks": [(p.rank, p.candidate.application_id) for p in result.picks],
            "passed_over": [c.application_id for c in result.passed_over],
            "candidates": result.candidates, "ranked_below": result.ranked_below}


_FAMILY = st.one_of(st.integers(1, 4), st.integers(1, 20))
_ROWS = st.lists(st.tuples(st.sampled_from([600, 610, 620]), st.integers(0, 2), _FAMILY), max_size=14)


@settings(max_examples=25, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=_ROWS, seats_left=st.integers(0, 30), used=st.integers(0, 5), chunk=st.integers(1, 3))
async def test_the_set_based_round_equals_the_reference_walk(
        sessions: Any, rows: list[tuple[int, int, int]], seats_left: int, used: int, chunk: int) -> None:
    """Random rankings (ties in score and in submission time, families of 1 to 20)
    on the real database, each example in a transaction rolled back at its end."""
    async with sessions() as s:
        try:
            quota = await f.kandas_quota(s, "KZ-27", 2026, capacity=used + seats_left, used=used)
            made = []
            for score, minute, size in rows:
                a = await f.make_passed_application(s, region_code="KZ-27", score=score, family_size=size,
                                                    submitted_at=T0 + dt.timedelta(minutes=minute))
                made.append((a.id, score, a.submitted_at, size))
            # Not candidates: another region, and a FAILED application of this one.
            await f.make_passed_application(s, region_code="KZ-55", score=690, family_size=1, submitted_at=T0)
            await f.make_passed_application(s, region_code="KZ-27", score=690, family_size=1, submitted_at=T0,
                                            status=ApplicationStatus.FAILED)
            expected = _reference_round(made, seats_left)
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(selection, "_TAIL_CHUNK", chunk)
                dry = await quota_service.run_selection_round(s, SYSTEM, quota_id=quota.id, dry_run=True)
                assert _observed(dry) == expected
                real = await quota_service.run_selection_round(s, O7, quota_id=quota.id)
            assert _observed(real) == expected
            approved = (await s.execute(
                select(m.SelectionRoundApproval.rank, m.SelectionRoundApproval.application_id)
                .where(m.SelectionRoundApproval.round_id == real.round_id)
                .order_by(m.SelectionRoundApproval.rank))).all()
            assert [tuple(a) for a in approved] == expected["picks"]
            await s.flush()  # the round's audit event is only added to the session
            assert await quota_service.quota_usage(s, quota.id) == (used + real.seats_taken, real.seats_taken)
            event = (await s.execute(select(m.AuditEvent.changes).where(
                m.AuditEvent.action == "selection_round.run", m.AuditEvent.entity_id == real.round_id))).scalar_one()
            assert (event["passedOver"], event["candidates"], event["rankedBelow"]) == (
                expected["passed_over"], expected["candidates"], expected["ranked_below"])
        finally:
            await s.rollback()


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


# ---------------------------------------------------------------- round history, occupations, deficit lists (issue 13 item 13)

ROUNDS = """
query($quotaId: ID!) {
  selectionRounds(quotaId: $quotaId) {
    id dryRun ranAt ranBy cutoffScore seatsTaken approvedNumbers passedOverNumbers quota { id used }
  }
}"""


async def test_round_history_names_who_ran_it_and_the_approved_and_passed_over_numbers(gql: Any, sessions: Any) -> None:
    async with sessions.begin() as s:
        quota = await f.kandas_quota(s, "KZ-27", 2026, capacity=7, used=2)  # 5 seats left
        big = await f.make_passed_application(s, region_code="KZ-27", score=600, family_size=4)
        too_big = await f.make_passed_application(s, region_code="KZ-27", score=550, family_size=3)
        small = await f.make_passed_application(s, region_code="KZ-27", score=420, family_size=1)
        below = await f.make_passed_application(s, region_code="KZ-27", score=410, family_size=1)
    assert (await gql.ok(ROUNDS, {"quotaId": gid("Quota", quota.id)}, role="OFFICER"))["selectionRounds"] == []

    first = await run_round(gql, quota.id, role="OFFICER")
    assert first["errors"] == []
    second = await run_round(gql, quota.id, role="ADMIN")  # no seats left: nobody approved
    history = (await gql.ok(ROUNDS, {"quotaId": gid("Quota", quota.id)}, role="OFFICER"))["selectionRounds"]
    assert [r["id"] for r in history] == [second["round"]["id"], first["round"]["id"]]  # newest first
    latest, earliest = history
    assert earliest == {
        "id": first["round"]["id"], "dryRun": False, "ranAt": first["round"]["ranAt"], "ranBy": "officer-1",
        "cutoffScore": 420, "seatsTaken": 5, "approvedNumbers": [big.number, small.number],
        "passedOverNumbers": [too_big.number], "quota": {"id": gid("Quota", quota.id), "used": 7},
    }
    assert below.number not in earliest["passedOverNumbers"]  # ranked below the last approved: only counted
    assert (latest["ranBy"], latest["cutoffScore"], latest["seatsTaken"], latest["approvedNumbers"]) == (
        "admin-1", None, 0, [])
    # The passed-over candidates below the last approved one are not listed: here everyone is below.
    assert latest["passedOverNumbers"] == []

    # The same round through node(id:) and in the runSelectionRound payload.
    node = (await gql.ok("query($id: ID!) { node(id: $id) { ... on SelectionRound { ranBy approvedNumbers "
                         "passedOverNumbers } } }", {"id": first["round"]["id"]}, role="ADMIN"))["node"]
    assert node == {"ranBy": "officer-1", "approvedNumbers": [big.number, small.number],
                    "passedOverNumbers": [too_big.number]}


async def test_a_dry_run_names_the_passed_over_and_keeps_no_history(gql: Any, sessions: Any) -> None:
    async with sessions.begin() as s:
        quota = await f.kandas_quota(s, "KZ-27", 2026, capacity=5, used=0)
        big = await f.make_passed_application(s, region_code="KZ-27", score=600, family_size=4)
        too_big = await f.make_passed_application(s, region_code="KZ-27", score=550, family_size=3)
        small = await f.make_passed_application(s, region_code="KZ-27", score=420, family_size=1)
    doc = """mutation($input: RunSelectionRoundInput!) { runSelectionRound(input: $input) {
      round { dryRun ranBy seatsTaken approvedNumbers passedOverNumbers } errors { code } } }"""
    payload = (await gql.ok(doc, {"input": {"quotaId": gid("Quota", quota.id), "dryRun": True}},
                            role="OFFICER"))["runSelectionRound"]
    assert payload["round"] == {"dryRun": True, "ranBy": "officer-1", "seatsTaken": 5,
                                "approvedNumbers": [big.number, small.number], "passedOverNumbers": [too_big.number]}
    assert (await gql.ok(ROUNDS, {"quotaId": gid("Quota", quota.id)}, role="OFFICER"))["selectionRounds"] == []


async def test_round_history_is_for_staff_only(gql: Any, sessions: Any) -> None:
    async with sessions.begin() as s:
        quota = await f.kandas_quota(s, "KZ-27", 2026, capacity=5, used=0)
    variables = {"quotaId": gid("Quota", quota.id)}
    for who, code in ((dict(role="APPLICANT", subject="alice"), "FORBIDDEN"), (dict(token=None), "UNAUTHENTICATED")):
        body = await gql(ROUNDS, variables, **who)
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == code, body
    from tests.api.test_feed import agency_key
    body = await gql(ROUNDS, variables, token=await agency_key(sessions, "GPO"))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for bad, code in ((gid("Quota", 999999), "NOT_FOUND"), (gid("Region", 1), "NOT_FOUND")):
        body = await gql(ROUNDS, {"quotaId": bad}, role="OFFICER")
        assert body["errors"][0]["extensions"]["code"] == code, body


OCCUPATIONS = "query { occupations { code name nameEn nameRu } }"
DEFICIT = """query($year: Int!, $region: String) {
  deficitLists(year: $year, regionCode: $region) { year region { code } occupations { code name } } }"""


async def test_occupations_and_each_regions_deficit_list_with_its_year(gql: Any, sessions: Any) -> None:
    async with sessions() as s:
        occupations = (await s.execute(select(m.Occupation).order_by(m.Occupation.code))).scalars().all()
        listed = (await s.execute(
            select(m.Region.code, m.Occupation.code).select_from(m.DeficitOccupation)
            .join(m.Region, m.Region.id == m.DeficitOccupation.region_id)
            .join(m.Occupation, m.Occupation.id == m.DeficitOccupation.occupation_id)
            .where(m.DeficitOccupation.year == 2026))).all()
        regions = (await s.execute(select(m.Region.code).order_by(m.Region.code))).scalars().all()
    assert occupations and listed
    read = (await gql.ok(OCCUPATIONS, role="APPLICANT", subject="alice"))["occupations"]
    assert read == [{"code": o.code, "name": o.name_en, "nameEn": o.name_en, "nameRu": o.name_ru} for o in occupations]

    lists = (await gql.ok(DEFICIT, {"year": 2026}, role="OFFICER"))["deficitLists"]
    assert [d["region"]["code"] for d in lists] == list(regions)
    assert all(d["year"] == 2026 for d in lists)
    got = {(d["region"]["code"], o["code"]) for d in lists for o in d["occupations"]}
    assert got == set(listed)
    for d in lists:
        codes = [o["code"] for o in d["occupations"]]
        assert codes == sorted(codes)
    region, occupation = sorted(listed)[0]
    one = (await gql.ok(DEFICIT, {"year": 2026, "region": f" {region.lower()} "}, role="ADMIN"))["deficitLists"]
    assert len(one) == 1 and one[0]["region"]["code"] == region
    assert occupation in [o["code"] for o in one[0]["occupations"]]
    # Another year's list is its own: the seed holds 2026 only.
    other = (await gql.ok(DEFICIT, {"year": 2025, "region": region}, role="OFFICER"))["deficitLists"]
    assert other == [{"year": 2025, "region": {"code": region}, "occupations": []}]
    body = await gql(DEFICIT, {"year": 2026, "region": "KZ-99"}, role="OFFICER")
    assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": ["regionCode"],
                                               "classification": "BAD_REQUEST"}


async def test_occupations_and_deficit_lists_are_reference_data_for_signed_in_people(gql: Any, sessions: Any) -> None:
    from tests.api.test_feed import agency_key
    key = await agency_key(sessions, "GPO")
    for doc, variables in ((OCCUPATIONS, {}), (DEFICIT, {"year": 2026})):
        body = await gql(doc, variables)
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        body = await gql(doc, variables, token=key)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        for role in ("APPLICANT", "OFFICER", "ADMIN"):
            assert "errors" not in await gql(doc, variables, role=role)


async def test_a_round_approval_cancels_the_checks_still_requested(gql: Any, sessions: Any) -> None:
    """A check type activated after scoring leaves a PASSED application with an open check;
    the round's approval cancels it (issue 13 item 11)."""
    async with sessions.begin() as s:
        quota = await f.kandas_quota(s, "KZ-27", 2026, capacity=5, used=0)
        app = await f.make_passed_application(s, region_code="KZ-27", score=600, family_size=2)
        check_type = (await s.execute(select(m.CheckType).order_by(m.CheckType.id))).scalars().first()
        at = dt.datetime(2026, 11, 1, tzinfo=UTC)
        check = m.Check(application_id=app.id, check_type_id=check_type.id, status="REQUESTED",
                        requested_at=at, updated_at=at)
        s.add(check)
    payload = await run_round(gql, quota.id)
    assert payload["errors"] == [] and len(payload["round"]["approved"]) == 1
    async with sessions() as s:
        row = (await s.execute(select(m.Check).where(m.Check.id == check.id))).scalar_one()
        event = (await s.execute(select(m.AuditEvent).where(m.AuditEvent.action == "application.approve"))).scalar_one()
    assert row.status.value == "CANCELLED" and row.updated_at > at and row.completed_at is None
    assert event.changes["cancelledChecks"] == [check_type.code]


async def test_a_quota_is_deleted_only_while_no_seat_is_used(sessions: Any) -> None:
    from core.db import transaction
    from services.viewer import ADMIN_PANEL_ROLE

    async with transaction(sessions) as s:
        quota = await f.kandas_quota(s, "KZ-55", 2031, capacity=10, used=2)
    auditor = Viewer(subject="admin:bob", role=ADMIN_PANEL_ROLE, read_only=True)
    for viewer, code in ((auditor, ErrorCode.FORBIDDEN), (SYSTEM, ErrorCode.INVALID_STATE)):
        with pytest.raises(ServiceError) as refused:
            async with transaction(sessions) as s:
                await quota_service.delete_quota(s, viewer, quota_id=quota.id)
        assert refused.value.errors[0].code == code
    assert "already used (2)" in str(refused.value)

    async with transaction(sessions) as s:
        await s.execute(m.Quota.__table__.update().where(m.Quota.id == quota.id).values(used=0))
    async with transaction(sessions) as s:
        await quota_service.delete_quota(s, SYSTEM, quota_id=quota.id)
    async with sessions() as s:
        assert await s.get(m.Quota, quota.id) is None
        event = (await s.execute(select(m.AuditEvent).where(m.AuditEvent.action == "quota.delete"))).scalar_one()
    assert event.entity_id == quota.id and event.changes["capacity"] == 10
