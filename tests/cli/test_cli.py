"""The ``qonys`` command (SPEC §10), run as a subprocess against a temporary
SQLite file. Each start costs about a second, so the commands that do not
depend on each other are started together at the beginning of the module."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from api.graphql.schema import print_schema
from models.base import today_almaty
from services.auth import verify_token_sync
from tests.conftest import BACKEND, TEST_SECRET, make_settings, pg_url, require_postgres

QONYS = Path(sys.executable).parent / "qonys"
TIMEOUT = 120


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        """The non-empty lines of stdout and stderr together."""
        return [line for line in (self.out + "\n" + self.err).splitlines() if line.strip()]

    def assert_one_line_error(self) -> str:
        assert self.code != 0, self
        assert "Traceback" not in self.out + self.err, self.err
        assert len(self.lines) == 1, self.lines
        return self.lines[0]


def environment(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QONYS_")}
    env.update(QONYS_DATABASE_URL=url, QONYS_SECRET_KEY=TEST_SECRET, QONYS_ENV="development",
               QONYS_TODAY=today_almaty().isoformat(),  # the tests' "today" (conftest), not the wall clock's
               COLUMNS="200", NO_COLOR="1", TERM="dumb")
    return env


def start(url: str, cwd: Path, *args: str) -> subprocess.Popen[str]:
    if not QONYS.exists():
        pytest.fail(f"the qonys command is not installed at {QONYS}; run pip install -e .", pytrace=False)
    return subprocess.Popen([str(QONYS), *args], env=environment(url), cwd=cwd, text=True,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(process: subprocess.Popen[str]) -> Result:
    try:
        out, err = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"qonys did not finish in {TIMEOUT} s: {out}{err}")
    return Result(process.returncode, out, err)


def qonys(url: str, cwd: Path, *args: str) -> Result:
    return finish(start(url, cwd, *args))


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def independent(folder: Path) -> Iterator[dict[str, subprocess.Popen[str]]]:
    """Commands that need no migrated database, started in parallel."""
    scratch = sqlite_url(folder / "scratch.db")
    processes = {
        "token": start(scratch, folder, "token", "--role", "OFFICER", "--subject", "o1"),
        "token-root": start(scratch, folder, "token", "--role", "ROOT", "--subject", "o1"),
        "schema": start(scratch, folder, "schema"),
        "mysql": start("mysql://x", folder, "seed"),
        "refused": start("postgresql+asyncpg://postgres@127.0.0.1:1/qonys", folder, "db", "upgrade"),
        "not-migrated": start(sqlite_url(folder / "empty.db"), folder, "seed"),
    }
    if BACKEND == "postgres":  # a server that answers, but the database does not exist
        require_postgres()
        missing = pg_url(f"qonys_missing_{uuid.uuid4().hex[:8]}")
        processes["missing-database"] = start(missing, folder, "seed")
    yield processes
    for process in processes.values():
        if process.poll() is None:
            process.kill()
            process.communicate()


@dataclass
class Migrated:
    path: Path
    url: str
    upgrade: Result
    first_seed: Result


@pytest.fixture(scope="module")
def migrated(folder: Path, independent: dict[str, subprocess.Popen[str]]) -> Migrated:
    path = folder / "qonys.db"
    url = sqlite_url(path)
    upgrade = qonys(url, folder, "db", "upgrade")
    assert upgrade.code == 0, upgrade
    first_seed = qonys(url, folder, "seed")
    assert first_seed.code == 0, first_seed
    return Migrated(path, url, upgrade, first_seed)


def query(path: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, params).fetchall()


# ---------------------------------------------------------------- database and seed


def test_upgrade_then_seed_twice(migrated: Migrated) -> None:
    assert "upgraded" in migrated.upgrade.out
    assert query(migrated.path, "SELECT count(*) FROM alembic_version") == [(1,)]
    assert "seeded" in migrated.first_seed.out and "region 20" in migrated.first_seed.out
    counts = {table: query(migrated.path, f"SELECT count(*) FROM {table}")[0][0]
              for table in ("region", "quota", "scoring_model", "occupation", "audit_event")}
    assert counts["region"] == 20 and counts["scoring_model"] == 4  # 2026.1 to 2026.4

    again = qonys(migrated.url, migrated.path.parent, "seed")
    assert again.code == 0, again
    assert "nothing changed" in again.out
    assert {table: query(migrated.path, f"SELECT count(*) FROM {table}")[0][0] for table in counts} == counts


def test_seed_on_a_database_that_is_not_migrated(independent: dict[str, subprocess.Popen[str]]) -> None:
    line = finish(independent["not-migrated"]).assert_one_line_error()
    assert "qonys db upgrade" in line


@pytest.mark.parametrize("case", ["mysql", "refused", "missing-database"])
def test_bad_database_url_is_one_line(independent: dict[str, subprocess.Popen[str]], case: str) -> None:
    if case not in independent:
        pytest.skip("needs the PostgreSQL server (QONYS_TEST_DB=postgres)")
    line = finish(independent[case]).assert_one_line_error()
    assert "QONYS_DATABASE_URL" in line
    if case == "missing-database":
        assert "does not exist" in line


# ---------------------------------------------------------------- tokens and schema


def test_token_is_a_jwt_the_server_accepts(independent: dict[str, subprocess.Popen[str]], folder: Path) -> None:
    result = finish(independent["token"])
    assert result.code == 0, result
    token = result.out.strip()
    assert result.out.count("\n") == 1 and token.count(".") == 2, result.out
    viewer = verify_token_sync(make_settings(sqlite_url(folder / "scratch.db")), token)
    assert (viewer.role, viewer.subject) == ("OFFICER", "o1")


def test_token_with_an_unknown_role_is_refused(independent: dict[str, subprocess.Popen[str]]) -> None:
    result = finish(independent["token-root"])
    line = result.assert_one_line_error()
    assert "role" in line
    assert result.out == ""  # no token printed


def test_schema_prints_the_sdl(independent: dict[str, subprocess.Popen[str]]) -> None:
    result = finish(independent["schema"])
    assert result.code == 0, result
    assert "type Query" in result.out
    assert result.out == print_schema()


# ---------------------------------------------------------------- accounts and keys


def test_admin_user_create_twice(migrated: Migrated) -> None:
    cwd = migrated.path.parent
    created = qonys(migrated.url, cwd, "admin-user", "create", "alice", "--password", "correct horse battery")
    assert created.code == 0, created
    assert "alice" in created.out
    rows = query(migrated.path, "SELECT password_hash, role FROM admin_account WHERE username = 'alice'")
    assert len(rows) == 1
    password_hash, role = rows[0]
    assert str(password_hash).startswith("$argon2") and "correct horse" not in str(password_hash)
    assert role == "ADMINISTRATOR"

    again = qonys(migrated.url, cwd, "admin-user", "create", "alice", "--password", "another long password")
    assert "already exists" in again.assert_one_line_error()
    assert query(migrated.path, "SELECT password_hash FROM admin_account WHERE username = 'alice'") == [(password_hash,)]


def test_agency_key_create_list_revoke(migrated: Migrated) -> None:
    cwd = migrated.path.parent
    created = qonys(migrated.url, cwd, "agency-key", "create", "GPO")
    assert created.code == 0, created
    key = created.out.strip()
    assert key.startswith("qk_") and created.out.count("\n") == 1, created.out  # only the key on stdout
    prefix = key.split("_")[1]
    assert prefix in created.err  # the note about showing it once goes to stderr
    stored = query(migrated.path, "SELECT * FROM agency_api_key WHERE prefix = ?", prefix)
    assert len(stored) == 1
    assert all(key not in str(value) for value in stored[0])

    listed = qonys(migrated.url, cwd, "agency-key", "list")
    assert listed.code == 0, listed
    row = next(line for line in listed.out.splitlines() if prefix in line)
    assert "GPO" in row
    assert key not in listed.out

    revoked = qonys(migrated.url, cwd, "agency-key", "revoke", prefix)
    assert revoked.code == 0, revoked
    assert "revoked" in revoked.out
    assert query(migrated.path, "SELECT revoked_at IS NOT NULL FROM agency_api_key WHERE prefix = ?", prefix) == [(1,)]
