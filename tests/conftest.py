"""Test fixtures. The suite runs on the database named by QONYS_TEST_DB
(``sqlite``, the default, or ``postgres``); ``make test`` runs it on both.

Each test gets its own database, cloned from one migrated and seeded template:
a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL.

With QONYS_TEST_PGBOUNCER=1 (and QONYS_TEST_DB=postgres) the app reaches the
test's database through a PgBouncer of this session's own in transaction pooling
mode (``tests.pgbouncer``; ``make test-pgbouncer``): ``database_url`` is its URL
and ``make_settings`` says so (``pgbouncer``, ``direct_database_url``), while
migrations, the seed and the reset between tests go to PostgreSQL directly."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from core.settings import Settings
from core.db import create_engine, session_factory, transaction
from models.base import pin_today
from services import migrate
from services.auth import mint_token
from services.seed import seed

TEST_SECRET = "test-secret-0123456789-0123456789-abcdef"
BACKEND = os.environ.get("QONYS_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get("QONYS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PGBOUNCER = BACKEND == "postgres" and os.environ.get("QONYS_TEST_PGBOUNCER", "").lower() in ("1", "true", "yes")
_DIRECT: dict[str, str] = {}  # a URL through the tests' PgBouncer -> the same database, directly
# ``make test`` runs the suite on SQLite and then on PostgreSQL and says so
# (QONYS_TEST_BOTH_RUNS=1): what does not depend on the run's database is left to
# one of the two runs (``pytest_collection_modifyitems``). A run on its own
# (``make test-sqlite``, ``make test-postgres``, pytest) runs everything.
BOTH_RUNS = os.environ.get("QONYS_TEST_BOTH_RUNS", "").lower() in ("1", "true", "yes")
# The migration tests' fixtures that give each test on both databases, whatever the run's.
BOTH_DATABASES = ("empty_url", "migrated_url")

# "Today" in every test, whatever the wall clock says: the seed holds the 2026
# reference data (MRP, quotas, deficit lists) only, and tests submit, pay and
# run rounds against "today". Pinned here, at import, so that module-level
# constants computed from today_almaty() see it too; the autouse fixture
# ``clock`` puts it back after a test that moved it (``clock.pin(date)``).
TEST_TODAY = dt.date.fromisoformat(os.environ.get("QONYS_TEST_TODAY", "2026-12-04"))
pin_today(TEST_TODAY)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In ``make test`` (QONYS_TEST_BOTH_RUNS=1), each test once across its two runs:
    the tests marked ``engine_independent`` (no database at all) on the SQLite run
    only, and the migration tests' halves (``BOTH_DATABASES``, run on SQLite and on
    PostgreSQL in every run) each in the run of its own database. The PostgreSQL
    halves still fail in CI when PostgreSQL cannot be reached (``require_postgres``)."""
    if not BOTH_RUNS:
        return
    keep, leave = [], []
    for item in items:
        params = getattr(item, "callspec", None)
        other_database = params is not None and any(
            params.params.get(name, BACKEND) != BACKEND for name in BOTH_DATABASES)
        independent = BACKEND != "sqlite" and item.get_closest_marker("engine_independent") is not None
        (leave if other_database or independent else keep).append(item)
    if leave:
        config.hook.pytest_deselected(items=leave)
        items[:] = keep


def pg_url(name: str, driver: str = "postgresql+asyncpg") -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", f"{driver}://", 1)
    return f"{base}/{name}"


async def pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def require_postgres() -> None:
    """Fail in CI, skip elsewhere, when PostgreSQL cannot be reached."""
    from concurrent.futures import ThreadPoolExecutor

    try:  # in a thread: callers may already be inside an event loop
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, pg_admin("SELECT 1")).result()
    except Exception as exc:  # noqa: BLE001
        message = f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc}"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


_SCHEMAS: dict[tuple[tuple[str, Any], ...], Any] = {}


def shared_schema(**options: Any) -> Any:
    """``api.graphql.schema.build_schema(**options)``, built once per test process
    and used by every app the tests create (``one_schema_per_process``), as
    production's one app per process does. Building it took a fifth of an ordinary
    database test's time (~20-40 ms per ``create_app``); what an app does with it
    (compiled reads or not, the replica, the limits) comes from its settings and
    the options, which are part of the key."""
    from api.graphql.schema import build_schema

    key = tuple(sorted(options.items()))
    if key not in _SCHEMAS:
        _SCHEMAS[key] = build_schema(**options)
    return _SCHEMAS[key]


@pytest.fixture(scope="session", autouse=True)
def one_schema_per_process() -> Iterator[None]:
    import server.app

    original = server.app.build_schema
    server.app.build_schema = shared_schema
    yield
    server.app.build_schema = original


def make_settings(url: str, **extra: Any) -> Settings:
    if url in _DIRECT:  # through the tests' PgBouncer
        extra = {"pgbouncer": True, "direct_database_url": _DIRECT[url], **extra}
    return Settings(database_url=url, secret_key=TEST_SECRET, **extra)


async def _seed(url: str) -> None:
    engine = create_engine(make_settings(url))
    try:
        async with transaction(session_factory(engine)) as session:
            await seed(session)
    finally:
        await engine.dispose()


SNAPSHOT_SQL = r"""
CREATE SCHEMA seed_snapshot;
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version' LOOP
    EXECUTE format('CREATE TABLE seed_snapshot.%I AS TABLE public.%I', r.tablename, r.tablename);
  END LOOP;
END $$;
CREATE FUNCTION seed_snapshot.reset() RETURNS void LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  -- DELETE, not TRUNCATE: the tables are small, and TRUNCATE recreates every
  -- table and index file (seconds per test on a busy machine).
  SET LOCAL session_replication_role = replica;
  FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version' LOOP
    EXECUTE format('DELETE FROM public.%I', r.tablename);
  END LOOP;
  FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'seed_snapshot' LOOP
    EXECUTE format('INSERT INTO public.%I SELECT * FROM seed_snapshot.%I', r.tablename, r.tablename);
  END LOOP;
  FOR r IN SELECT table_name, column_name FROM information_schema.columns
           WHERE table_schema = 'public' AND column_default LIKE 'nextval%' LOOP
    EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, %L), coalesce((SELECT max(%I) FROM public.%I), 0) + 1, false)',
                   'public.' || r.table_name, r.column_name, r.column_name, r.table_name);
  END LOOP;
END $$;
"""


async def pg_execute(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def template_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The migrated and seeded database of this test session.

    PostgreSQL: one database per session (per xdist worker), snapshotted after
    seeding and reset to the snapshot before each test (TRUNCATE and copy back:
    far faster than creating and dropping a database per test).
    SQLite: a template file that each test copies."""
    if BACKEND == "postgres":
        require_postgres()
        name = f"qonys_t_{uuid.uuid4().hex[:10]}"
        asyncio.run(pg_admin(f'CREATE DATABASE "{name}"'))
        url = pg_url(name)
        migrate.upgrade(url)
        asyncio.run(_seed(url))
        asyncio.run(pg_execute(url, SNAPSHOT_SQL))
        yield url
        asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        url = f"sqlite+aiosqlite:///{path}"
        migrate.upgrade(url)
        asyncio.run(_seed(url))
        yield url


_PREBUILT: dict[str, Any] = {}


async def prebuilt(name: str, template_url: str, url: str, build: Callable[[str], Awaitable[Any]]) -> Any:
    """Brings this test's database (``url``, the seeded one of ``database_url``) to the
    state ``build(url)`` leaves it in, and returns what ``build`` returned, for fixtures
    whose state costs seconds (a register built through the API, argon2 hashes).
    ``build`` runs once per test process; the state it left is kept and restored for
    each later test, as ``database_url`` restores the seed: on PostgreSQL a snapshot
    schema like the seed's (``prebuilt_<name>``), on SQLite a copy of the file, both
    written and restored while connections may be open (SQLite's backup API)."""
    direct = _DIRECT.get(url, url)
    if name not in _PREBUILT:
        result = await build(url)
        if BACKEND == "postgres":
            await pg_execute(direct, SNAPSHOT_SQL.replace("seed_snapshot", f"prebuilt_{name}"))
            kept: Any = None
        else:
            kept = Path(_sqlite_path(template_url)).with_name(f"prebuilt-{name}.db")  # beside the template
            _sqlite_copy(_sqlite_path(url), kept)
        _PREBUILT[name] = (kept, result)
        return result
    kept, result = _PREBUILT[name]
    if BACKEND == "postgres":
        await pg_execute(direct, f"SELECT prebuilt_{name}.reset()")
    else:
        _sqlite_copy(kept, _sqlite_path(url))
    return result


def _sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite+aiosqlite:///")


def _sqlite_copy(source: str | Path, target: str | Path) -> None:
    """The whole of one SQLite database into another, through SQLite (committed pages,
    the WAL's included; connections open on ``target`` see the copy)."""
    import sqlite3

    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


@pytest.fixture(scope="session")
def pgbouncer_port() -> Iterator[int | None]:
    """The port of this session's PgBouncer (QONYS_TEST_PGBOUNCER=1), else None."""
    if not PGBOUNCER:
        yield None
        return
    from tests.pgbouncer import running_pgbouncer

    with running_pgbouncer(PG_ADMIN_URL, required=IN_CI) as port:
        yield port


@pytest.fixture
async def database_url(template_url: str, tmp_path: Path, pgbouncer_port: int | None) -> AsyncIterator[str]:
    """A migrated and seeded database holding nothing else, for one test."""
    if BACKEND == "postgres":
        await pg_execute(template_url, "SELECT seed_snapshot.reset()")
        if pgbouncer_port is not None:
            bounced = make_url(template_url).set(port=pgbouncer_port).render_as_string(hide_password=False)
            _DIRECT[bounced] = template_url
            yield bounced
            return
        yield template_url
    else:
        source = Path(template_url.removeprefix("sqlite+aiosqlite:///"))
        target = tmp_path / "qonys.db"
        shutil.copyfile(source, target)
        yield f"sqlite+aiosqlite:///{target}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine):  # type: ignore[no-untyped-def]
    return session_factory(engine)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Any]:
    from server.app import create_app

    application = create_app(settings)
    yield application
    await application.state.engine.dispose()


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


_TOKEN_SETTINGS: dict[tuple[tuple[str, str], ...], Settings] = {}


def token_for(role: str, subject: str | None = None, settings: Settings | None = None) -> str:
    """A token for ``role``, signed with ``settings`` or else the tests' own: those are
    built once per value of the QONYS_ variables (building a Settings reads the
    environment, ~10 ms, and most requests of the API tests ask for a token)."""
    if settings is None:
        key = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("QONYS_")))
        if key not in _TOKEN_SETTINGS:
            _TOKEN_SETTINGS[key] = make_settings("sqlite+aiosqlite:///unused.db")
        settings = _TOKEN_SETTINGS[key]
    return mint_token(settings, subject=subject or f"{role.lower()}-1", role=role)


class GQL:
    """Speaks GraphQL over HTTP to the app under test."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def raw(self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None,
                  role: str | None = None, subject: str | None = None) -> httpx.Response:
        if role is not None:
            token = token_for(role, subject)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)

    async def __call__(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        response = await self.raw(query, variables, **kw)
        assert response.status_code == 200, response.text
        return response.json()

    async def ok(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        """The ``data`` of a response that must carry no GraphQL errors."""
        body = await self(query, variables, **kw)
        assert "errors" not in body, body["errors"]
        return body["data"]


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GQL:
    return GQL(client)


class Clock:
    """The tests' handle on "today" (models.base.pin_today)."""

    today = TEST_TODAY

    @staticmethod
    def pin(day: dt.date) -> None:
        pin_today(day)


@pytest.fixture(autouse=True)
def clock() -> Iterator[Clock]:
    """Every test starts on ``TEST_TODAY`` (Asia/Almaty) and ends there, whatever it pinned."""
    pin_today(TEST_TODAY)
    yield Clock()
    pin_today(TEST_TODAY)
