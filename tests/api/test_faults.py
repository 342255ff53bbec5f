"""The database goes away: /healthz says 503 with the reason, GraphQL answers with a
clear error (not a 500, not a hang), and service resumes without a restart."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import httpx
import pytest

from server.app import create_app
from services import migrate
from core.metrics import COMPILED_QUERIES
from tests.conftest import BACKEND, PGBOUNCER, make_settings, pg_url, require_postgres, token_for

QUERY = {"query": "{ regions { code } }"}


class TcpProxy:
    """A loopback TCP proxy to PostgreSQL that the test can cut and restore."""

    def __init__(self, target_port: int = 5432) -> None:
        self.target_port = target_port
        self.server: asyncio.base_events.Server | None = None
        self.port = 0
        self.tasks: set[asyncio.Task] = set()
        self.writers: set[asyncio.StreamWriter] = set()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        with contextlib.suppress(Exception):
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.writers |= {writer, up_writer}
        for coro in (self._pipe(reader, up_writer), self._pipe(up_reader, writer)):
            task = asyncio.create_task(coro)
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for w in list(self.writers):
            with contextlib.suppress(Exception):
                w.close()
        self.writers.clear()
        await self.server.wait_closed()


async def _probe(client: httpx.AsyncClient) -> tuple[httpx.Response, httpx.Response, float]:
    start = time.monotonic()
    health = await client.get("/healthz")
    graphql = await client.post("/graphql", json=QUERY)
    return health, graphql, time.monotonic() - start


def _assert_unavailable(health: httpx.Response, graphql: httpx.Response, elapsed: float) -> None:
    assert health.status_code == 503
    assert health.json()["database"] == "unreachable" and health.json()["reason"]
    assert graphql.status_code == 200
    body = graphql.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert "database is unavailable" in body["errors"][0]["message"]
    assert elapsed < 15


@pytest.mark.skipif(BACKEND != "sqlite", reason="the SQLite variant of the fault test")
async def test_sqlite_file_unreachable_then_back(tmp_path: Path, template_url: str) -> None:
    folder = tmp_path / "gone"
    url = f"sqlite+aiosqlite:///{folder}/qonys.db"
    app = create_app(make_settings(url, connect_timeout_s=2))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            _assert_unavailable(*await _probe(client))
            folder.mkdir()
            await asyncio.to_thread(migrate.upgrade, url)
            health, graphql, _ = await _probe(client)
            assert health.status_code == 200
            assert graphql.json()["data"] == {"regions": []}
    finally:
        await app.state.engine.dispose()


@pytest.mark.skipif(BACKEND != "postgres", reason="the PostgreSQL variant of the fault test")
async def test_postgres_goes_away_and_comes_back(database_url: str) -> None:
    require_postgres()
    proxy = TcpProxy()
    await proxy.start()
    name = database_url.rsplit("/", 1)[1]
    url = pg_url(name).replace(":5432/", f":{proxy.port}/")
    app = create_app(make_settings(url, connect_timeout_s=2))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            health, graphql, _ = await _probe(client)
            assert health.status_code == 200 and len(graphql.json()["data"]["regions"]) == 20
            await proxy.stop()
            _assert_unavailable(*await _probe(client))
            await proxy.start()  # same port: the database is back
            for _ in range(10):
                health, graphql, _ = await _probe(client)
                if health.status_code == 200:
                    break
                await asyncio.sleep(0.3)
            assert health.status_code == 200
            assert len(graphql.json()["data"]["regions"]) == 20
    finally:
        await app.state.engine.dispose()
        await proxy.stop() if proxy.server and proxy.server.is_serving() else None


@pytest.mark.skipif(BACKEND != "postgres", reason="the compiled read path runs on PostgreSQL only")
async def test_compiled_reads_survive_the_database_going_away(database_url: str) -> None:
    """The compiled read path has its own asyncpg pool: while the database is away
    the query falls back to normal execution, which says SERVICE_UNAVAILABLE;
    once it is back, the same query is compiled again on fresh connections."""
    require_postgres()
    proxy = TcpProxy()
    await proxy.start()
    name = database_url.rsplit("/", 1)[1]
    url = pg_url(name).replace(":5432/", f":{proxy.port}/")
    app = create_app(make_settings(url, connect_timeout_s=2, compiled_reads=True))
    query = {"query": "query Count { applications(first: 1) { totalCount } }"}
    headers = {"Authorization": f"Bearer {token_for('OFFICER', 'o1')}"}

    async def ask(client: httpx.AsyncClient) -> tuple[dict, bool]:
        before = COMPILED_QUERIES._value.get()
        body = (await client.post("/graphql", json=query, headers=headers)).json()
        return body, COMPILED_QUERIES._value.get() == before + 1

    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            body, compiled = await ask(client)
            assert compiled and body["data"]["applications"]["totalCount"] >= 0
            await proxy.stop()
            start = time.monotonic()
            body, compiled = await ask(client)
            assert not compiled and body["data"] is None
            assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
            assert time.monotonic() - start < 15
            await proxy.start()
            for _ in range(10):
                body, compiled = await ask(client)
                if compiled:
                    break
                await asyncio.sleep(0.3)
            assert compiled and body["data"]["applications"]["totalCount"] >= 0
    finally:
        await app.state.engine.dispose()
        await proxy.stop() if proxy.server and proxy.server.is_serving() else None


async def test_metrics_and_request_id(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "query ListRegions { regions { code } }"},
                                 headers={"x-request-id": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert (await client.get("/healthz")).headers["x-request-id"]
    text = (await client.get("/metrics")).text
    assert 'qonys_graphql_requests_total{operation="ListRegions",outcome="ok"}' in text
    assert "qonys_graphql_request_seconds_bucket" in text


@pytest.mark.skipif(BACKEND != "postgres", reason="statement timeouts are PostgreSQL's")
@pytest.mark.skipif(PGBOUNCER, reason="through PgBouncer the timeout is the database role's (README), not a setting")
async def test_a_request_past_the_statement_timeout_says_so(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import text

    async def slow_regions(self, info):  # type: ignore[no-untyped-def]
        async with info.context.read() as session:
            await session.execute(text("SELECT pg_sleep(2)"))
        return []

    app = create_app(make_settings(database_url, statement_timeout_ms=200))
    schema_type = app.state.schema._schema.query_type
    field = schema_type.fields["regions"]
    monkeypatch.setattr(field, "resolve", lambda root, info, **kw: slow_regions(None, info))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            start = time.monotonic()
            body = (await client.post("/graphql", json=QUERY)).json()
            assert time.monotonic() - start < 2
    finally:
        await app.state.engine.dispose()
    assert body["errors"][0]["extensions"]["code"] == "TIMEOUT"
    assert "statement timeout" in body["errors"][0]["message"]
