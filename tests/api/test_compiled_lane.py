"""The compiled lane (``api.graphql.compiler.lane``): a query text the compiled
path has answered before is answered again without GraphQL execution, with the
same bytes, headers, metrics and refusals; whatever it cannot answer goes on to
the application, with the credential checked once.

PostgreSQL only (the compiler is off on SQLite)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text

import models as m
from api.graphql import ids
from api.graphql.view import QonysGraphQL
from core.db import transaction
from core.metrics import COMPILED_QUERIES
from services import auth
from tests.api.test_compiled_reads import TOKENS, build_data
from tests.conftest import BACKEND
from tests.helpers_compiled import Pair

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="the compiled read path runs on PostgreSQL only")

FEED = ("query Feed($after: String) { checkResults(first: 4, after: $after) { pageInfo { hasNextPage endCursor } "
        "edges { cursor node { id status checkType { code } application { id number } } } } }")
ONE = "query One($id: ID!) { application(id: $id) { id number status applicant { fullName } score { total } } }"
SECURITY = ("content-security-policy", "x-frame-options", "x-content-type-options", "referrer-policy")
EXECUTED = "the request reached GraphQL execution"


@pytest.fixture
async def pair(database_url: str, sessions: Any):  # type: ignore[no-untyped-def]
    await build_data(sessions, n=12)
    p = Pair(database_url)
    yield p
    await p.close()


def view_of(app: Any) -> QonysGraphQL:
    """The app's GraphQL view (behind the authentication middleware)."""
    [route] = [r for r in app.routes if getattr(r, "path", None) == "/graphql"]
    return route.app.app


@pytest.fixture
def no_execution(pair: Pair, monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Call it once a text is known: from then on, a request that reaches the
    compiled app's Strawberry view raises (through the test client)."""
    async def refuse(request: Any, **_: Any) -> Any:
        raise AssertionError(EXECUTED)

    return lambda: monkeypatch.setattr(view_of(pair.on), "run", refuse)


async def post(app: Any, query: str, variables: dict[str, Any] | None, token: str | None,
               **headers: str) -> httpx.Response:
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        return await c.post("/graphql", json={"query": query, "variables": variables}, headers=headers)


async def application_ids(sessions: Any, n: int) -> list[str]:
    async with sessions() as s:
        pks = (await s.execute(select(m.Application.id).order_by(m.Application.id).limit(n))).scalars().all()
    return [ids.encode("Application", pk) for pk in pks]


async def test_a_known_text_is_answered_with_the_normal_engine_s_bytes_and_headers(
        pair: Pair, sessions: Any, no_execution: Callable[[], None]) -> None:
    gids = await application_ids(sessions, 3)
    token = TOKENS["OFFICER"]()
    first = await post(pair.on, ONE, {"id": gids[0]}, token)
    assert first.status_code == 200 and b'"application":{"id"' in first.content
    no_execution()
    for gid in gids:  # the same text with other variables
        before = COMPILED_QUERIES._value.get()
        lane = await post(pair.on, ONE, {"id": gid}, token, **{"X-Request-Id": f"r-{gid[:8]}"})
        normal = await post(pair.off, ONE, {"id": gid}, token)
        assert lane.status_code == 200
        assert lane.content == normal.content
        assert COMPILED_QUERIES._value.get() == before + 1
        assert lane.headers["content-type"] == "application/json"
        assert lane.headers["x-request-id"] == f"r-{gid[:8]}"
        assert all(lane.headers[h] == first.headers[h] for h in SECURITY)
    strict = await post(pair.on, ONE, {"id": gids[0]}, token, Accept="application/graphql-response+json")
    assert strict.headers["content-type"] == "application/graphql-response+json"
    assert strict.content == first.content


async def test_an_agency_asking_a_text_an_officer_made_known_reads_only_its_checks(
        pair: Pair, sessions: Any, no_execution: Callable[[], None], monkeypatch: pytest.MonkeyPatch) -> None:
    """Each page on one connection of the read pool: the key's check and the statement."""
    from core.readpool import ReadPool
    from services.viewer import SYSTEM

    acquired: list[ReadPool] = []
    acquire = ReadPool._acquire

    async def counted(self: ReadPool) -> Any:
        acquired.append(self)
        return await acquire(self)

    monkeypatch.setattr(ReadPool, "_acquire", counted)

    async with transaction(sessions) as s:
        key = (await auth.create_agency_key(s, SYSTEM, "GPO", label="lane"))[1]
        gpo = (await s.execute(select(func.count()).select_from(m.Check).join(m.CheckType).join(m.Agency)
                               .where(m.Agency.code == "GPO"))).scalar_one()
        every = (await s.execute(select(func.count()).select_from(m.Check))).scalar_one()
    assert 4 < gpo < every
    officer = await post(pair.on, FEED, {"after": None}, TOKENS["OFFICER"]())
    assert officer.status_code == 200
    no_execution()
    seen, after = 0, None
    while True:
        acquired.clear()
        lane = await post(pair.on, FEED, {"after": after}, key)
        assert len(acquired) == 1
        assert lane.content == (await post(pair.off, FEED, {"after": after}, key)).content
        page = json.loads(lane.content)["data"]["checkResults"]
        seen += len(page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == gpo


async def test_a_refused_credential_is_refused_by_the_lane_and_counted_once(
        pair: Pair, sessions: Any, no_execution: Callable[[], None]) -> None:
    gids = await application_ids(sessions, 1)
    assert (await post(pair.on, ONE, {"id": gids[0]}, TOKENS["OFFICER"]())).status_code == 200
    no_execution()

    async def failures() -> int:
        async with sessions() as s:
            return int((await s.execute(text("SELECT count(*) FROM failed_authentication"))).scalar_one())

    before = await failures()
    refused = await post(pair.on, ONE, {"id": gids[0]}, "qk_nothing_nothing")
    assert refused.status_code == 401
    assert json.loads(refused.content)["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert "x-request-id" in refused.headers and all(h in refused.headers for h in SECURITY)
    assert await failures() == before + 1


async def test_what_the_lane_cannot_answer_goes_on_with_the_credential_checked_once(
        pair: Pair, sessions: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    gids = await application_ids(sessions, 1)
    token = TOKENS["OFFICER"]()
    assert (await post(pair.on, ONE, {"id": gids[0]}, token)).status_code == 200
    checked, executed = [], []
    verify, view = auth.verify_token, view_of(pair.on)
    run = view.run

    async def counted_verify(settings: Any, value: str) -> Any:
        checked.append(value)
        return await verify(settings, value)

    async def counted_run(request: Any, **kwargs: Any) -> Any:
        executed.append(request)
        return await run(request, **kwargs)

    monkeypatch.setattr(auth, "verify_token", counted_verify)
    monkeypatch.setattr(view, "run", counted_run)
    assert (await post(pair.on, ONE, {"id": gids[0]}, token)).status_code == 200
    assert (len(checked), len(executed)) == (1, 0)  # the lane
    # variables the plan refuses: the normal path answers, with its error, as without the lane
    for variables in ({"id": "not-an-id"}, {}):
        lane = await post(pair.on, ONE, variables, token)
        assert b'"errors"' in lane.content
        assert lane.content == (await post(pair.off, ONE, variables, token)).content
    assert (len(checked), len(executed)) == (5, 2)  # one check a request, the lane's included
    # another language: normal execution (the compiled path answers in English only)
    kk = await post(pair.on, ONE, {"id": gids[0]}, token, **{"Accept-Language": "kk"})
    assert kk.status_code == 200 and len(executed) == 3
