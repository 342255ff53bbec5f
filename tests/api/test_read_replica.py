"""Reads from a streaming replica (QONYS_READ_DATABASE_URL; core.replica,
api.graphql.replica), against a real one: a primary and its hot standby of this
run's own, streaming over loopback (``tests.replica``).

The proof that a read went to the replica: replay is paused on the replica
(``pg_wal_replay_pause()``), something is written on the primary, and a caller
who did not write it does not see it; the writer does (its read waits for the
replica, then goes to the primary), and everyone does once replay resumes.

PostgreSQL suite only; in CI a missing PostgreSQL fails these tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from api.graphql import ids
from core.db import transaction
from core.metrics import COMPILED_QUERIES, REPLICA_READS
from core.replica import parse_lsn
from services import migrate
from services import reference_data as ref
from services.auth import create_agency_key
from services.viewer import SYSTEM
from tests import factories as f
from tests.conftest import BACKEND, IN_CI, SNAPSHOT_SQL, _seed, make_settings, pg_execute, token_for
from tests.helpers_pipeline import SUBMIT, light, submit_input
from tests.replica import Clusters, running_pair

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="read replicas are PostgreSQL's (QONYS_TEST_DB=postgres)")

DATABASE = "qonys"
WAIT_MS = 150
LIST = "{ applications(first: 100) { totalCount edges { node { number } } } }"
FEED = "{ checkResults(first: 100) { edges { node { id status checkType { code } } } } }"
REQUEST = """mutation($input: RequestChecksInput!) {
  requestChecks(input: $input) { application { id } errors { field code message } } }"""
RECORD = """mutation($input: RecordCheckResultInput!) {
  recordCheckResult(input: $input) { check { id status } errors { field code message } } }"""
OFFICER_1 = token_for("OFFICER", "officer-1")
OFFICER_2 = token_for("OFFICER", "officer-2")
KK = {"Accept-Language": "kk"}  # names in Kazakh: normal execution, not the compiled path


@pytest.fixture(scope="session")
def clusters() -> Iterator[Clusters]:
    """The primary (a migrated and seeded database, snapshotted like the suite's
    template) and its replica, for the whole session."""
    with running_pair(required=IN_CI) as pair:
        url = pair.primary.url(DATABASE)
        asyncio.run(pg_execute(pair.primary.url("postgres"), f'CREATE DATABASE "{DATABASE}"'))
        migrate.upgrade(url)
        asyncio.run(_seed(url))
        asyncio.run(pg_execute(url, SNAPSHOT_SQL))
        yield pair


async def fetch(url: str, sql: str, *args: Any) -> Any:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1), timeout=5)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


async def caught_up(clusters: Clusters) -> None:
    """Until the replica has replayed everything the primary has flushed."""
    target = await fetch(clusters.primary.url(DATABASE), "SELECT pg_current_wal_flush_lsn()::text")
    deadline = time.monotonic() + 60  # a replica just restarted, on a loaded machine
    while not await fetch(clusters.replica.url(DATABASE), "SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn",
                          target):
        assert time.monotonic() < deadline, "the replica does not catch up"
        await asyncio.sleep(0.01)


@pytest.fixture
async def pair(clusters: Clusters) -> AsyncIterator[Clusters]:
    """The clusters, the database back at its seed on both, the replica replaying."""
    await pg_execute(clusters.primary.url(DATABASE), "SELECT seed_snapshot.reset()")
    await caught_up(clusters)
    yield clusters
    if clusters.replica.process is None:  # a test that stopped it
        clusters.replica.start()
    await fetch(clusters.replica.url(DATABASE), "SELECT pg_wal_replay_resume()")


@asynccontextmanager
async def replay_paused(clusters: Clusters) -> AsyncIterator[None]:
    """The replica replays nothing more inside the block (it keeps receiving)."""
    await fetch(clusters.replica.url(DATABASE), "SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        await fetch(clusters.replica.url(DATABASE), "SELECT pg_wal_replay_resume()")


class Api:
    """One application (one worker's worth) on the primary and the replica."""

    def __init__(self, clusters: Clusters, *, read_url: str | None = None, **extra: Any) -> None:
        from server.app import create_app

        extra.setdefault("replica_wait_ms", WAIT_MS)
        extra.setdefault("replica_retry_s", 0.2)
        self.settings = make_settings(clusters.primary.url(DATABASE),
                                      read_database_url=read_url or clusters.replica.url(DATABASE), **extra)
        self.app = create_app(self.settings)
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://testserver")

    async def post(self, query: str, variables: dict[str, Any] | None = None, *, token: str,
                   **headers: str) -> httpx.Response:
        response = await self.client.post("/graphql", json={"query": query, "variables": variables or {}},
                                          headers={"Authorization": f"Bearer {token}", **headers})
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        return response

    async def data(self, query: str, variables: dict[str, Any] | None = None, *, token: str,
                   **headers: str) -> dict[str, Any]:
        return (await self.post(query, variables, token=token, **headers)).json()["data"]

    async def numbers(self, token: str, **headers: str) -> set[str]:
        """The application numbers the caller's list shows."""
        data = await self.data(LIST, token=token, **headers)
        return {e["node"]["number"] for e in data["applications"]["edges"]}

    async def submit(self, token: str) -> tuple[str, str]:
        """A new application (officer's mutation): its number and the response's write position."""
        response = await self.post(light(SUBMIT), {"input": submit_input()}, token=token)
        payload = response.json()["data"]["submitApplication"]
        assert payload["errors"] == [], payload
        # the mutation's payload is read on the primary: the new row is there
        assert payload["application"]["number"]
        return payload["application"]["number"], response.headers["qonys-write-lsn"]

    async def close(self) -> None:
        await self.client.aclose()
        await self.app.state.replica.close()
        await self.app.state.engine.dispose()


@asynccontextmanager
async def api(clusters: Clusters, **extra: Any) -> AsyncIterator[Api]:
    served = Api(clusters, **extra)
    try:
        yield served
    finally:
        await served.close()


async def feed(served: Api, token: str) -> dict[str, tuple[str, str]]:
    """The caller's feed: check id -> (status, check type)."""
    edges = (await served.data(FEED, token=token))["checkResults"]["edges"]
    return {e["node"]["id"]: (e["node"]["status"], e["node"]["checkType"]["code"]) for e in edges}


def routes() -> dict[str, float]:
    return {route: REPLICA_READS.labels(route)._value.get() for route in ("replica", "lagging", "down")}


def moved(before: dict[str, float]) -> dict[str, float]:
    return {k: v - before[k] for k, v in routes().items() if v != before[k]}


async def replica_sessions(clusters: Clusters) -> set[str]:
    """The application names of Qonys' connections on the replica."""
    rows = await fetch(clusters.replica.url(DATABASE), "SELECT array_agg(DISTINCT application_name) "
                       "FROM pg_stat_activity WHERE application_name LIKE 'qonys%'")
    return set(rows or [])


async def fallbacks(clusters: Clusters) -> int:
    """Connections of the replica's engine that went to the primary instead."""
    return await fetch(clusters.primary.url(DATABASE),
                       "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'qonys-replica'")


# ---------------------------------------------------------------------------- where reads go


async def test_lists_read_the_replica_and_a_writer_reads_its_own_writes(pair: Clusters) -> None:
    async with api(pair) as one:
        seeded = await one.numbers(OFFICER_2)
        async with replay_paused(pair):
            number, lsn = await one.submit(OFFICER_1)
            assert parse_lsn(lsn) > 0

            # Someone else's list, compiled, and normal execution (kk: not compiled): the replica's, without it.
            before, compiled = routes(), COMPILED_QUERIES._value.get()
            assert await one.numbers(OFFICER_2) == seeded
            assert COMPILED_QUERIES._value.get() == compiled + 1
            assert await one.numbers(OFFICER_2, **KK) == seeded
            assert moved(before) == {"replica": 2}
            assert await replica_sessions(pair) >= {"qonys-read", "qonys-replica"}

            # The writer's own: the replica cannot replay it, so after the bounded wait, the primary's.
            started = time.monotonic()
            assert number in await one.numbers(OFFICER_1)
            assert time.monotonic() - started >= WAIT_MS / 1000
            assert number in await one.numbers(OFFICER_1, **KK)
            assert moved(before) == {"replica": 2, "lagging": 2}
            assert await one.numbers(OFFICER_2) == seeded  # still the replica's for the others

        # Replayed: everyone reads it on the replica, the writer too (its mark is done with).
        await caught_up(pair)
        before = routes()
        assert number in await one.numbers(OFFICER_2)
        assert number in await one.numbers(OFFICER_1)
        assert moved(before) == {"replica": 2}


async def test_the_writer_waits_for_the_replica_to_replay_its_write(pair: Clusters) -> None:
    async with api(pair, replica_wait_ms=5000) as one:
        async with replay_paused(pair):
            number, _ = await one.submit(OFFICER_1)
        # Replay resumes now; the writer's next read waits for it and reads the replica.
        before = routes()
        assert number in await one.numbers(OFFICER_1)
        assert moved(before) == {"replica": 1}


async def test_the_feed_reads_the_replica(pair: Clusters) -> None:
    owned = {t["code"] for t in ref.CHECK_TYPES if t["agency_code"] == "KNB"}
    async with api(pair) as one:
        async with transaction(one.app.state.sessions) as s:
            application = await f.make_application(s)
        await caught_up(pair)
        async with replay_paused(pair):
            # A key made now, on the primary only, works at once: credentials are checked on the primary.
            async with transaction(one.app.state.sessions) as s:
                key = (await create_agency_key(s, SYSTEM, "KNB", label="replica"))[1]
            await one.post(REQUEST, {"input": {"applicationId": ids.encode("Application", application.id)}},
                           token=OFFICER_1)
            before = routes()
            assert await feed(one, key) == {}  # the checks are not replayed yet
            assert moved(before) == {"replica": 1}
        await caught_up(pair)
        checks = await feed(one, key)
        assert checks and set(checks.values()) == {("REQUESTED", code) for _, code in checks.values()}
        mine = next(check for check, (_, code) in checks.items() if code in owned)

        async with replay_paused(pair):
            # The agency records a result: its own feed shows it at once (from the primary) ...
            recorded = await one.data(RECORD, {"input": {"checkId": mine, "status": "CLEARED"}}, token=key)
            assert recorded["recordCheckResult"]["errors"] == []
            before = routes()
            assert (await feed(one, key))[mine][0] == "CLEARED"
            # ... and the officers' feed, from the replica, not yet.
            assert (await feed(one, OFFICER_2))[mine][0] == "REQUESTED"
            assert moved(before) == {"lagging": 1, "replica": 1}


# ---------------------------------------------------------------------------- across workers


async def test_the_write_position_travels_with_the_client(pair: Clusters) -> None:
    """Two workers (two applications, each with its own memory): the one that did
    not take the mutation knows nothing of it, unless the client sends back the
    position the mutation's response gave it."""
    async with api(pair) as first, api(pair) as second:
        async with replay_paused(pair):
            number, lsn = await first.submit(OFFICER_1)
            assert number not in await second.numbers(OFFICER_1)  # the per-process limit, without the header
            assert number in await second.numbers(OFFICER_1, **{"Qonys-Min-LSN": lsn})
            assert number not in await second.numbers(OFFICER_1, **{"Qonys-Min-LSN": "not/a position"})


async def test_the_workers_of_one_machine_share_write_marks(pair: Clusters, tmp_path: Path) -> None:
    marks = str(tmp_path / "marks")
    async with api(pair, write_marks_dir=marks) as first, api(pair, write_marks_dir=marks) as second:
        async with replay_paused(pair):
            number, _ = await first.submit(OFFICER_1)
            assert number in await second.numbers(OFFICER_1)
            assert number not in await second.numbers(OFFICER_2)
        await caught_up(pair)
        before = routes()
        assert number in await second.numbers(OFFICER_1)
        assert moved(before) == {"replica": 1}


# ---------------------------------------------------------------------------- a replica that is down


async def test_a_replica_that_goes_down_and_comes_back(pair: Clusters) -> None:
    async with api(pair) as one, api(pair) as two:
        seeded = await one.numbers(OFFICER_2)
        for served in (one, two):  # connections to the replica in both pools (compiled, and normal execution)
            assert await served.numbers(OFFICER_2) == seeded
            assert await served.numbers(OFFICER_2, **KK) == seeded
        assert (await one.client.get("/healthz")).json()["replica"] == "up"

        pair.replica.stop("fast")
        number, _ = await one.submit(OFFICER_1)  # writes never needed it
        before = routes()
        # Reads under way find it gone and go to the primary: no error, current data.
        assert number in await one.numbers(OFFICER_2, **KK)  # normal execution: the engine connects to the primary
        assert await fallbacks(pair) >= 1
        compiled = COMPILED_QUERIES._value.get()
        assert number in await two.numbers(OFFICER_2)  # the compiled path: its statement again, on the primary
        assert COMPILED_QUERIES._value.get() == compiled + 1
        # Then the reads go to the primary straight away, the writer's too.
        assert number in await one.numbers(OFFICER_2)
        assert number in await two.numbers(OFFICER_2, **KK)
        assert number in await one.numbers(OFFICER_1)
        assert moved(before) == {"down": 5}
        assert (await one.client.get("/public/rounds.json")).status_code == 200
        health = (await one.client.get("/healthz")).json()
        assert health["status"] == "ok" and health["replica"] == "down"

        pair.replica.start()
        await caught_up(pair)
        for served in (one, two):
            deadline = time.monotonic() + 10
            while (await served.client.get("/healthz")).json()["replica"] != "up":  # probed again every 0.2 s
                assert time.monotonic() < deadline, "the replica is not taken back"
                await asyncio.sleep(0.05)
        before = routes()
        for served in (one, two):
            assert number in await served.numbers(OFFICER_2)
            assert number in await served.numbers(OFFICER_2, **KK)
        assert moved(before) == {"replica": 4}
        deadline = time.monotonic() + 5
        while await fallbacks(pair):  # the replica engine's connections to the primary, dropped on their next use
            assert time.monotonic() < deadline, "a connection to the primary stays in the replica's pool"
            await asyncio.sleep(0.05)
        # (connections made since it restarted: the engine's fallback ones to the primary were replaced)
        assert await replica_sessions(pair) >= {"qonys-read", "qonys-replica"}


async def test_a_replica_never_reached(pair: Clusters) -> None:
    from tests.helpers_processes import free_port

    async with api(pair, read_url=f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/{DATABASE}") as one:
        async with transaction(one.app.state.sessions) as s:
            application = await f.make_application(s)
        before = routes()
        assert application.number in await one.numbers(OFFICER_2)
        assert application.number in await one.numbers(OFFICER_2, **KK)
        assert moved(before) == {"down": 2}
        assert (await one.client.get("/healthz")).json()["replica"] == "down"
