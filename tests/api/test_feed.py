"""The agencies' feed, ``checkResults(first, after, updatedSince)`` (SPEC §4):
ordered by updatedAt then id, keyset-paginated, filtered to what the caller may
read. A client that walks it page by page while checks are created and
updated between its pages sees every change exactly once after it happens."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import select

import models as m
from api.graphql import ids
from api.graphql.pagination import encode_cursor
from models.base import utcnow
from core.db import transaction
from models.enums import CheckStatus
from services import reference_data as ref
from services.auth import create_agency_key
from services.viewer import SYSTEM
from tests import factories as f
from tests.conftest import GQL, token_for

UTC = dt.timezone.utc

FEED = """query($first: Int, $after: String, $since: DateTime) {
  checkResults(first: $first, after: $after, updatedSince: $since) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id status updatedAt checkType { code } } }
  } }"""

RECORD = """mutation($input: RecordCheckResultInput!) {
  recordCheckResult(input: $input) { check { id status updatedAt } errors { field code message } } }"""
REQUEST = """mutation($input: RequestChecksInput!) {
  requestChecks(input: $input) { application { id checks { id updatedAt } } errors { field code message } } }"""

OFFICER = token_for("OFFICER", "officer-1")


def expected_readable(agency: str) -> set[str]:
    """Check types an agency owns or was granted, from the seeded reference data."""
    owned = {t["code"] for t in ref.CHECK_TYPES if t["agency_code"] == agency}
    return owned | {code for a, code in ref.CHECK_TYPE_GRANTS if a == agency}


async def agency_key(sessions: Any, code: str) -> str:
    async with transaction(sessions) as s:
        return (await create_agency_key(s, SYSTEM, code, label="feed"))[1]


async def seed_checks(sessions: Any, times: list[dt.datetime]) -> list[int]:
    """One SUBMITTED application per time, with one check per active check type, all
    changed at that time (as one requestChecks leaves them); returns the applications' ids."""
    app_ids = []
    async with transaction(sessions) as s:
        types = (await s.execute(select(m.CheckType).where(m.CheckType.active.is_(True))
                                 .order_by(m.CheckType.id))).scalars().all()
        for at in times:
            app = await f.make_application(s)
            app_ids.append(app.id)
            for t in types:
                s.add(m.Check(application_id=app.id, check_type_id=t.id, status=CheckStatus.REQUESTED,
                              requested_at=at, updated_at=at))
        await s.flush()
    return app_ids


async def db_checks(sessions: Any, types: set[str] | None = None) -> list[tuple[dt.datetime, int, str, str]]:
    """(updated_at, id, status, type code) of every check (of ``types``), in feed order."""
    stmt = (select(m.Check.updated_at, m.Check.id, m.Check.status, m.CheckType.code)
            .join(m.CheckType, m.CheckType.id == m.Check.check_type_id)
            .order_by(m.Check.updated_at, m.Check.id))
    if types is not None:
        stmt = stmt.where(m.CheckType.code.in_(sorted(types)))
    async with sessions() as s:
        return [(u, i, st.value, code) for u, i, st, code in (await s.execute(stmt)).all()]


def pk(global_id: str) -> int:
    value = ids.decode_as(global_id, "Check")
    assert value is not None
    return value


def when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


async def page(gql: GQL, token: str, **variables: Any) -> dict[str, Any]:
    return (await gql.ok(FEED, variables, token=token))["checkResults"]


async def walk(gql: GQL, token: str, first: int, **variables: Any) -> list[dict[str, Any]]:
    """Every node of the feed, page by page."""
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        p = await page(gql, token, first=first, after=after, **variables)
        nodes += [e["node"] for e in p["edges"]]
        if not p["pageInfo"]["hasNextPage"]:
            return nodes
        after = p["pageInfo"]["endCursor"]


# ---------------------------------------------------------------- walking while things change


@pytest.mark.parametrize(("walker", "first"), [("OFFICER", 2), ("KNB", 3)])
async def test_walk_visits_every_change_exactly_once(gql: GQL, sessions: Any, walker: str, first: int) -> None:
    base = utcnow() - dt.timedelta(days=1)
    await seed_checks(sessions, [base + dt.timedelta(minutes=i) for i in range(4)])
    initial = {i for _, i, _, _ in await db_checks(sessions)}
    if walker == "OFFICER":
        token, visible = OFFICER, {t["code"] for t in ref.CHECK_TYPES}
    else:
        token, visible = await agency_key(sessions, walker), expected_readable(walker)
    hidden_types = {t["code"] for t in ref.CHECK_TYPES} - visible

    seen: list[tuple[dt.datetime, int, str]] = []  # (updatedAt, check id, status) in walk order
    changes: list[tuple[dt.datetime, int]] = []  # every change made to a visible check
    invisible_changes: list[int] = []
    statuses = iter(["FLAGGED", "REJECTED", "CLEARED"] * 10)

    async def record(check_id: int) -> tuple[dt.datetime, int]:
        data = await gql.ok(RECORD, {"input": {"checkId": ids.encode("Check", check_id), "status": next(statuses)}},
                            token=OFFICER)
        payload = data["recordCheckResult"]
        assert payload["errors"] == [], payload
        return when(payload["check"]["updatedAt"]), check_id

    async def last_unseen_of_the_initial_checks() -> int:
        seen_ids = {i for _, i, _ in seen}
        rows = [r for r in await db_checks(sessions, visible) if r[1] in initial and r[1] not in seen_ids]
        return rows[-1][1]

    x: int | None = None
    fired: set[str] = set()
    cursor: str | None = None
    position: tuple[dt.datetime, int] | None = None
    pages = 0
    while True:
        # The oracle: exactly the next `first` visible checks after the cursor, as the database holds them now.
        expected = [r for r in await db_checks(sessions, visible) if position is None or (r[0], r[1]) > position]
        p = await page(gql, token, first=first, after=cursor)
        got = [(when(e["node"]["updatedAt"]), pk(e["node"]["id"]), e["node"]["status"]) for e in p["edges"]]
        assert got == [(u, i, s) for u, i, s, _ in expected[:first]], (pages, got, expected[:first])
        assert p["pageInfo"]["hasNextPage"] == (len(expected) > first)
        assert p["pageInfo"]["hasPreviousPage"] == (cursor is not None)
        assert {e["node"]["checkType"]["code"] for e in p["edges"]} <= visible
        seen += got
        pages += 1
        if p["edges"]:
            cursor = p["pageInfo"]["endCursor"]
            assert cursor == p["edges"][-1]["cursor"]
            position = (got[-1][0], got[-1][1])

        # Between pages, other clients change things.
        made = False
        if pages == 1:  # a check the walker has already passed is updated: it must come again
            x = seen[0][1]
            changes.append(await record(x))
            hidden = [r for r in await db_checks(sessions, hidden_types)] if hidden_types else []
            if hidden:  # and a check the walker may not read is updated: it never shows
                await record(hidden[0][1])
                invisible_changes.append(hidden[0][1])
            made = True
        elif pages == 2:  # new checks are requested on a new application
            async with transaction(sessions) as s:
                new_app = await f.make_application(s)
            data = await gql.ok(REQUEST, {"input": {"applicationId": ids.encode("Application", new_app.id)}},
                                token=OFFICER)
            assert data["requestChecks"]["errors"] == []
            async with sessions() as s:
                for c in (await s.execute(select(m.Check.updated_at, m.Check.id, m.CheckType.code)
                                          .join(m.CheckType, m.CheckType.id == m.Check.check_type_id)
                                          .where(m.Check.application_id == new_app.id))).all():
                    if c[2] in visible:
                        changes.append((c[0], c[1]))
            made = True
        elif pages == 3:  # a check not reached yet is updated: it is seen once, in its new state
            changes.append(await record(await last_unseen_of_the_initial_checks()))
            fired.add("unseen")
            made = True
        elif "again" not in fired and x is not None and sum(1 for _, i, _ in seen if i == x) == 2:
            changes.append(await record(x))  # updated once more after the walker saw it again
            fired.add("again")
            made = True
        if not p["pageInfo"]["hasNextPage"] and not made and {"unseen", "again"} <= fired:
            break
        assert pages < 100

    # No (check, change) is visited twice, and the walk never goes backwards.
    keys = [(u, i) for u, i, _ in seen]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    # Every change made while walking is visited exactly once, after it happened.
    for change in changes:
        assert keys.count(change) == 1, change
    # Every check's final state is visited exactly once; hidden types never.
    final = await db_checks(sessions, visible)
    for u, i, status, _ in final:
        assert [(su, ss) for su, si, ss in seen if si == i][-1] == (u, status)
    assert not {i for _, i, _ in seen} & set(invisible_changes)
    assert {i for _, i, _ in seen} == {i for _, i, _, _ in final}
    # Visits per check: once, plus once per change made after the walker had passed it.
    assert x is not None
    counts = {i: sum(1 for _, si, _ in seen if si == i) for _, i, _, _ in final}
    assert counts.pop(x) == 3
    assert set(counts.values()) == {1}


async def test_updates_in_one_transaction_keep_the_order(gql: GQL, sessions: Any) -> None:
    """requestChecks stamps every new check with one time: the id breaks the tie and
    a walk of one-check pages still visits each exactly once."""
    await seed_checks(sessions, [utcnow() - dt.timedelta(hours=1)] * 2)
    rows = await db_checks(sessions)
    assert len({u for u, *_ in rows}) == 1  # all share one timestamp
    nodes = await walk(gql, OFFICER, 1)
    assert [pk(n["id"]) for n in nodes] == sorted(i for _, i, _, _ in rows)


# ---------------------------------------------------------------- page size


async def test_first_is_capped_at_100(gql: GQL, sessions: Any) -> None:
    base = utcnow() - dt.timedelta(days=2)
    await seed_checks(sessions, [base + dt.timedelta(seconds=i) for i in range(41)])  # 205 checks
    every = [i for _, i, _, _ in await db_checks(sessions)]
    assert len(every) == 205

    p = await page(gql, OFFICER, first=1000)
    assert len(p["edges"]) == 100 and p["pageInfo"]["hasNextPage"] is True
    nodes = await walk(gql, OFFICER, 1000)
    assert [pk(n["id"]) for n in nodes] == every  # 100 + 100 + 5, in order, none twice
    assert len((await page(gql, OFFICER))["edges"]) == 20  # the default page

    mvd = await agency_key(sessions, "MVD_MIGRATION")  # reads three types: 123 checks
    p = await page(gql, mvd, first=1000)
    assert len(p["edges"]) == 100 and p["pageInfo"]["hasNextPage"] is True
    rest = await page(gql, mvd, first=1000, after=p["pageInfo"]["endCursor"])
    assert len(rest["edges"]) == 23 and rest["pageInfo"]["hasNextPage"] is False

    body = await gql(FEED, {"first": -1}, token=OFFICER)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


# ---------------------------------------------------------------- updatedSince


async def test_updated_since_filters(gql: GQL, sessions: Any) -> None:
    base = (utcnow() - dt.timedelta(days=1)).replace(microsecond=0)
    times = [base + dt.timedelta(hours=i) for i in range(3)]
    await seed_checks(sessions, times)
    rows = await db_checks(sessions)

    def since(t: dt.datetime, types: set[str] | None = None) -> list[int]:
        return [i for u, i, _, code in rows if u >= t and (types is None or code in types)]

    for t in (times[1], times[1] + dt.timedelta(microseconds=1), times[0] - dt.timedelta(days=1),
              times[2] + dt.timedelta(seconds=1)):
        nodes = await walk(gql, OFFICER, 3, since=t.isoformat())
        assert [pk(n["id"]) for n in nodes] == since(t)
    # The same instant written with another offset.
    almaty = times[1].astimezone(dt.timezone(dt.timedelta(hours=5))).isoformat()
    assert almaty.endswith("+05:00")
    assert [pk(n["id"]) for n in await walk(gql, OFFICER, 100, since=almaty)] == since(times[1])
    assert len(since(times[1])) == 10

    gpo = await agency_key(sessions, "GPO")
    nodes = await walk(gql, gpo, 1, since=times[1].isoformat())
    assert [pk(n["id"]) for n in nodes] == since(times[1], expected_readable("GPO"))
    assert {n["checkType"]["code"] for n in nodes} == {"CRIMINAL_RECORD"}


# ---------------------------------------------------------------- who sees what


@pytest.mark.parametrize("agency", [a["code"] for a in ref.AGENCIES])
async def test_agency_sees_only_types_it_owns_or_was_granted(gql: GQL, sessions: Any, agency: str) -> None:
    await seed_checks(sessions, [utcnow() - dt.timedelta(minutes=10 - i) for i in range(3)])
    readable = expected_readable(agency)
    nodes = await walk(gql, await agency_key(sessions, agency), 4)
    assert [pk(n["id"]) for n in nodes] == [i for _, i, _, _ in await db_checks(sessions, readable)]
    assert {n["checkType"]["code"] for n in nodes} == readable
    if agency == "NCT":
        assert nodes == []


async def test_people_other_than_staff_do_not_read_the_feed(gql: GQL, sessions: Any) -> None:
    await seed_checks(sessions, [utcnow() - dt.timedelta(minutes=5)])
    body = await gql(FEED, {"first": 5})
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
    body = await gql(FEED, {"first": 5}, role="APPLICANT", subject="alice")
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert len((await page(gql, token_for("ADMIN", "admin-1"), first=100))["edges"]) == 5


# ---------------------------------------------------------------- cursors


def b64(value: Any) -> str:
    raw = value if isinstance(value, str) else json.dumps(value)
    return base64.urlsafe_b64encode(raw.encode()).decode()


NOW_ISO = "2026-01-01T00:00:00+00:00"
BAD_CURSORS = {
    "garbage": "not a cursor!",
    "empty": "",
    "not-json": b64("hello"),
    "not-a-list": b64({"t": NOW_ISO}),
    "applications-cursor": encode_cursor("new", dt.datetime(2026, 1, 1, tzinfo=UTC), 5),
    "contracts-cursor": encode_cursor("contract", dt.datetime(2026, 1, 1, tzinfo=UTC), 5),
    "due-date-cursor": encode_cursor("due", dt.date(2026, 1, 1), 5),
    "wrong-arity": b64(["feed", {"t": NOW_ISO}]),
    "id-not-int": b64(["feed", {"t": NOW_ISO}, "7"]),
    "id-bool": b64(["feed", {"t": NOW_ISO}, True]),
    "bad-timestamp": b64(["feed", {"t": "yesterday"}, 1]),
}
# Well-formed feed cursors whose values have the wrong type or range: decode_cursor
# (api/graphql/pagination.py) refuses them as BAD_CURSOR before any SQL runs.
FORGED_CURSORS = {
    "date-not-timestamp": b64(["feed", {"d": "2026-01-01"}, 1]),
    "number-not-timestamp": b64(["feed", 5, 1]),
    "null-timestamp": b64(["feed", None, 1]),
    "naive-timestamp": b64(["feed", {"t": "2026-01-01T00:00:00"}, 1]),
    "huge-id": b64(["feed", {"t": NOW_ISO}, 10**30]),
}


async def bad_cursor_answers(gql: GQL, sessions: Any, who: str, cursors: dict[str, str]) -> dict[str, Any]:
    token = OFFICER if who == "OFFICER" else await agency_key(sessions, who)
    answers = {}
    for name, cursor in cursors.items():
        body = await gql(FEED, {"first": 2, "after": cursor}, token=token)
        answers[name] = (body["data"], [e["extensions"]["code"] for e in body["errors"]])
    return answers


@pytest.mark.parametrize("who", ["OFFICER", "GPO"])
async def test_bad_cursor(gql: GQL, sessions: Any, who: str) -> None:
    answers = await bad_cursor_answers(gql, sessions, who, BAD_CURSORS)
    assert answers == {name: (None, ["BAD_CURSOR"]) for name in BAD_CURSORS}


class SilentLog:
    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


@pytest.mark.parametrize("who", ["OFFICER", "GPO"])
async def test_forged_cursor(gql: GQL, sessions: Any, who: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import api.graphql.schema

    # Rendering each unexpected error's traceback to the log takes seconds on a busy machine.
    monkeypatch.setattr(api.graphql.schema, "log", SilentLog())
    answers = await bad_cursor_answers(gql, sessions, who, FORGED_CURSORS)
    assert answers == {name: (None, ["BAD_CURSOR"]) for name in FORGED_CURSORS}


async def test_a_cursor_is_a_position_not_an_offset(gql: GQL, sessions: Any) -> None:
    """A cursor stays valid after the check it names changes: the walk goes on from
    the position, and the changed check comes again later."""
    await seed_checks(sessions, [utcnow() - dt.timedelta(minutes=3)])
    first = await page(gql, OFFICER, first=2)
    passed = pk(first["edges"][1]["node"]["id"])
    data = await gql.ok(RECORD, {"input": {"checkId": ids.encode("Check", passed), "status": "CLEARED"}},
                        token=OFFICER)
    assert data["recordCheckResult"]["errors"] == []
    rest = [pk(n["id"]) for n in await walk_from(gql, OFFICER, first["pageInfo"]["endCursor"])]
    ids_in_order = [i for _, i, _, _ in await db_checks(sessions)]
    assert ids_in_order[-1] == passed and rest == ids_in_order[1:]


async def walk_from(gql: GQL, token: str, after: str) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    while True:
        p = await page(gql, token, first=2, after=after)
        nodes += [e["node"] for e in p["edges"]]
        if not p["pageInfo"]["hasNextPage"]:
            return nodes
        after = p["pageInfo"]["endCursor"]


# ---------------------------------------------------------------- cancelled checks and the status filter (issue 13 item 11)

STATUS_FEED = """query($first: Int, $after: String, $status: CheckStatus) {
  checkResults(first: $first, after: $after, status: $status) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id status details completedAt updatedAt checkType { code } } }
  } }"""


async def status_walk(gql: GQL, token: str, first: int, status: str | None) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        p = (await gql.ok(STATUS_FEED, {"first": first, "after": after, "status": status}, token=token))["checkResults"]
        nodes += [e["node"] for e in p["edges"]]
        if not p["pageInfo"]["hasNextPage"]:
            return nodes
        after = p["pageInfo"]["endCursor"]


async def _requested(gql: GQL, **owner: Any) -> dict[str, Any]:
    from tests.helpers_pipeline import submit, submit_input

    app = await submit(gql, submit_input("GENERAL", "KZ-75", ethnic_kazakh=False), **owner)
    payload = (await gql.ok(REQUEST, {"input": {"applicationId": app["id"]}}, token=OFFICER))["requestChecks"]
    assert payload["errors"] == []
    return payload["application"]


@pytest.mark.parametrize("how", ["withdrawn by the applicant", "withdrawn by an officer", "rejected"])
async def test_open_checks_of_a_withdrawn_or_decided_application_are_cancelled_once(
        gql: GQL, sessions: Any, how: str) -> None:
    app = await _requested(gql, role="APPLICANT", subject="alice")
    other = await _requested(gql)  # stays open
    gpo = await agency_key(sessions, "GPO")
    owned = {t["code"] for t in ref.CHECK_TYPES if t["agency_code"] == "GPO"}
    criminal = next(n for n in await walk(gql, gpo, 100)
                    if pk(n["id"]) in {pk(c["id"]) for c in app["checks"]} and n["checkType"]["code"] in owned)
    cleared = (await gql.ok(RECORD, {"input": {"checkId": criminal["id"], "status": "CLEARED"}}, token=gpo))
    assert cleared["recordCheckResult"]["errors"] == []
    # An officer and an agency have read the feed to its end.
    officer_end = (await page(gql, OFFICER, first=100))["pageInfo"]["endCursor"]
    gpo_end = (await page(gql, gpo, first=100))["pageInfo"]["endCursor"]

    doc, extra, who = {
        "withdrawn by the applicant": ("withdrawApplication", {}, {"role": "APPLICANT", "subject": "alice"}),
        "withdrawn by an officer": ("withdrawApplication", {"reason": "asked by phone"}, {"token": OFFICER}),
        "rejected": ("decideApplication", {"decision": "REJECT", "reason": "forged document"}, {"token": OFFICER}),
    }[how]
    input_type = "WithdrawApplicationInput" if doc == "withdrawApplication" else "DecideApplicationInput"
    done = await gql.ok(f"mutation($input: {input_type}!) {{ {doc}(input: $input) {{ application {{ status }} "
                        "errors { code } } }", {"input": {"applicationId": app["id"], **extra}}, **who)
    assert done[doc]["errors"] == []

    own = {pk(c["id"]) for c in app["checks"]}
    rows = {i: (u, st) for u, i, st, _ in await db_checks(sessions)}
    assert {i: st for i, (_, st) in rows.items() if i in own} == {
        i: ("CLEARED" if i == pk(criminal["id"]) else "CANCELLED") for i in own}
    assert all(st == "REQUESTED" for i, (_, st) in rows.items() if i not in own)

    # The feed shows each cancellation once, after the cursor the reader already holds, and the
    # cleared check not again.
    changed = await walk_after(gql, OFFICER, officer_end)
    assert sorted(pk(n["id"]) for n in changed) == sorted(own - {pk(criminal["id"])})
    assert all(n["status"] == "CANCELLED" for n in changed)
    assert await walk_after(gql, OFFICER, (await page(gql, OFFICER, first=100))["pageInfo"]["endCursor"]) == []
    gpo_changed = await walk_after(gql, gpo, gpo_end)
    assert {n["checkType"]["code"] for n in gpo_changed} <= expected_readable("GPO") - {"CRIMINAL_RECORD"}

    # A cancelled check takes no result, from its agency or an officer; nothing is written.
    cancelled = next(n for n in changed)
    details = await gql.ok("query($id: ID!) { node(id: $id) { ... on Check { status details completedAt } } }",
                           {"id": cancelled["id"]}, token=OFFICER)
    assert details["node"]["status"] == "CANCELLED" and details["node"]["completedAt"] is None
    assert details["node"]["details"].startswith("Cancelled: the application was")
    before = await db_checks(sessions)
    for token in (OFFICER, await agency_key(sessions, next(
            t["agency_code"] for t in ref.CHECK_TYPES if t["code"] == cancelled["checkType"]["code"]))):
        answer = (await gql.ok(RECORD, {"input": {"checkId": cancelled["id"], "status": "CLEARED"}},
                               token=token))["recordCheckResult"]
        assert answer["check"] is None
        assert [(e["code"], e["field"]) for e in answer["errors"]] == [("INVALID_STATE", ["input", "checkId"])]
    assert await db_checks(sessions) == before

    # What still waits for an agency: the open checks of the other application only.
    waiting = await status_walk(gql, OFFICER, 2, "REQUESTED")
    assert {pk(n["id"]) for n in waiting} == {pk(c["id"]) for c in other["checks"]}
    async with sessions() as s:
        event = (await s.execute(select(m.AuditEvent).where(m.AuditEvent.action.in_(
            ("application.withdraw", "application.decide"))))).scalar_one()
    assert sorted(event.changes["cancelledChecks"]) == sorted(
        n["checkType"]["code"] for n in changed)


async def walk_after(gql: GQL, token: str, after: str | None) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    while True:
        p = await page(gql, token, first=2, after=after)
        nodes += [e["node"] for e in p["edges"]]
        if not p["pageInfo"]["hasNextPage"]:
            return nodes
        after = p["pageInfo"]["endCursor"]


async def test_a_check_cannot_be_recorded_as_cancelled(gql: GQL, sessions: Any) -> None:
    app = await _requested(gql)
    before = await db_checks(sessions)
    answer = (await gql.ok(RECORD, {"input": {"checkId": app["checks"][0]["id"], "status": "CANCELLED"}},
                           token=OFFICER))["recordCheckResult"]
    assert [(e["code"], e["field"]) for e in answer["errors"]] == [("INVALID_INPUT", ["input", "status"])]
    assert await db_checks(sessions) == before


@pytest.mark.parametrize("who", ["OFFICER", "KNB", "GPO"])
async def test_the_status_filter_pages_through_what_still_waits(gql: GQL, sessions: Any, who: str,
                                                                database_url: str) -> None:
    from tests.helpers_compiled import compiled_and_normal, on_postgres

    base = utcnow() - dt.timedelta(days=1)
    await seed_checks(sessions, [base + dt.timedelta(minutes=i) for i in range(5)])
    async with transaction(sessions) as s:  # some results came in, one application was withdrawn
        checks = (await s.execute(select(m.Check).order_by(m.Check.id))).scalars().all()
        for c in checks[::3]:
            c.status, c.updated_at = CheckStatus.CLEARED, utcnow()
        for c in checks[1::7]:
            c.status, c.updated_at = CheckStatus.CANCELLED, utcnow()
    token = OFFICER if who == "OFFICER" else await agency_key(sessions, who)
    readable = None if who == "OFFICER" else expected_readable(who)
    rows = await db_checks(sessions, readable)
    for status in ("REQUESTED", "CLEARED", "CANCELLED"):
        nodes = await status_walk(gql, token, 2, status)
        assert [pk(n["id"]) for n in nodes] == [i for _, i, st, _ in rows if st == status], status
        assert {n["status"] for n in nodes} <= {status}
    assert len(await status_walk(gql, token, 3, None)) == len(rows)

    if on_postgres():  # the compiled read path takes the filter into its statement
        variables = {"first": 100, "after": None, "status": "REQUESTED"}
        compiled, normal, was_compiled = await compiled_and_normal(database_url, STATUS_FEED, variables, token)
        assert was_compiled and compiled == normal
        assert [pk(e["node"]["id"]) for e in compiled["data"]["checkResults"]["edges"]] == [
            i for _, i, st, _ in rows if st == "REQUESTED"]
