"""Issue 13 items 10 and 15: setting Qonys up. ``qonys token`` refuses a lifetime
under a minute; ``make run``/``qonys serve`` take a port; the README lists the
seeded agency codes; GraphiQL loads only files this server serves; ``qonys
admin-user`` lists, resets a password, disables and enables accounts, through
services and audited. The CLI runs in-process (typer's CliRunner) against the
test database, so these run on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from api import graphiql_assets
from server.app import create_app
from cli.main import app as cli
from models import AdminAccount, AuditEvent
from core.db import transaction
from models.enums import AdminRole
from services import reference_data
from services.auth import authenticate_admin, create_admin_account, mint_token
from services.viewer import SYSTEM
from tests.conftest import IN_CI, TEST_SECRET, make_settings

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new long passphrase"


def invoke(url: str, *args: str, **env: str) -> Any:
    environment = {"QONYS_DATABASE_URL": url, "QONYS_SECRET_KEY": TEST_SECRET, "QONYS_ENV": "development",
                   "COLUMNS": "200", "NO_COLOR": "1", **env}
    return CliRunner().invoke(cli, list(args), env=environment, catch_exceptions=False)


def one_line_error(result: Any) -> str:
    assert result.exit_code != 0, result.output
    text = (result.stdout + result.stderr).strip()
    assert "Traceback" not in text
    assert len(text.splitlines()) == 1, text
    return text


# ---------------------------------------------------------------- item 10: token lifetime


@pytest.mark.parametrize("ttl", ["0", "-1", "-60"])
def test_token_with_a_lifetime_under_a_minute_is_refused(ttl: str) -> None:
    result = invoke("sqlite+aiosqlite:///unused.db", "token", "--role", "OFFICER", "--subject", "o1", "--ttl-minutes", ttl)
    line = one_line_error(result)
    assert "--ttl-minutes" in line and ttl in line
    assert result.stdout == ""  # no token printed


def test_token_lifetime_is_the_one_asked_for() -> None:
    result = invoke("sqlite+aiosqlite:///unused.db", "token", "--role", "OFFICER", "--subject", "o1", "--ttl-minutes", "5")
    assert result.exit_code == 0, result.output
    claims = jwt.decode(result.stdout.strip(), TEST_SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 5 * 60


def test_mint_token_refuses_a_lifetime_under_a_minute() -> None:
    cfg = make_settings("sqlite+aiosqlite:///unused.db")
    for ttl in (0, -5):
        with pytest.raises(ValueError, match="at least 1"):
            mint_token(cfg, subject="s", role="OFFICER", ttl_minutes=ttl)
    result = invoke("sqlite+aiosqlite:///unused.db", "token", "--role", "OFFICER", "--subject", "o1",
                    QONYS_TOKEN_TTL_MINUTES="0")
    assert "QONYS_TOKEN_TTL_MINUTES" in one_line_error(result)


# ---------------------------------------------------------------- item 15: the port


@pytest.mark.parametrize(("args", "env", "port", "host"), [
    ((), {}, 8000, "127.0.0.1"),
    ((), {"QONYS_PORT": "8123"}, 8123, "127.0.0.1"),
    (("--port", "8124"), {"QONYS_PORT": "8123"}, 8124, "127.0.0.1"),
    ((), {"QONYS_PORT": "8125", "QONYS_HOST": "0.0.0.0"}, 8125, "0.0.0.0"),
])
def test_serve_takes_its_port_from_the_option_or_qonys_port(database_url: str, monkeypatch: pytest.MonkeyPatch,
                                                           args: tuple[str, ...], env: dict[str, str],
                                                           port: int, host: str) -> None:
    import uvicorn

    started: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: started.update(kw))
    result = invoke(database_url, "serve", *args, **env)
    assert result.exit_code == 0, result.output
    assert (started["port"], started["host"]) == (port, host)
    assert f"http://{host}:{port}/graphql" in result.stdout
    assert started["access_log"] is True


def test_serve_without_uvicorn_s_access_log(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--no-access-log``: only Qonys's own JSON line an operation (the bench's setting)."""
    import uvicorn

    started: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: started.update(kw))
    result = invoke(database_url, "serve", "--no-access-log")
    assert result.exit_code == 0, result.output
    assert started["access_log"] is False


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize(("make_args", "env", "port"), [
    ((), {}, "8000"), (("PORT=8080",), {}, "8080"), ((), {"QONYS_PORT": "8081"}, "8081"),
    (("PORT=8082",), {"QONYS_PORT": "8081"}, "8082"),
])
def test_make_run_takes_a_port(make_args: tuple[str, ...], env: dict[str, str], port: str) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("QONYS_")} | env
    done = subprocess.run(["make", "--no-print-directory", "-n", "run", *make_args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=60)  # inside another make: no "make[1]: …" lines
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].endswith(f"qonys serve --host 127.0.0.1 --port {port}")


# ---------------------------------------------------------------- item 15: the README's agency codes


def test_readme_lists_the_seeded_agency_codes_beside_agency_key_create() -> None:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("agency-key create GPO")
    section = readme[start:readme.index("- The admin panel", start)]
    for agency in reference_data.AGENCIES:
        assert f"`{agency['code']}`" in section, agency["code"]
        assert agency["name"] in section
    for check in reference_data.CHECK_TYPES:
        row = next(line for line in section.splitlines() if line.strip().startswith(f"| `{check['agency_code']}` |"))
        assert f"`{check['code']}`" in row


# ---------------------------------------------------------------- item 15: GraphiQL without internet


def assets_installed() -> None:
    if not graphiql_assets.in_place(graphiql_assets.DEST):
        message = "GraphiQL's files are not installed: run `make install` or `python -m api.graphiql_assets`"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


async def test_graphiql_loads_only_files_this_server_serves(client: httpx.AsyncClient) -> None:
    assets_installed()
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "GraphiQL" in html
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.I), "the page names another host"
    references = re.findall(r'<(?:script|link)\b[^>]*?(?:src|href)="([^"]+)"[^>]*?integrity="([^"]+)"', html)
    assert len(references) == 6, references
    assert len(references) == len(re.findall(r"<script\b[^>]*\bsrc=|<link\b[^>]*\bhref=", html))
    for url, digest in references:
        assert url.startswith("/graphiql-assets/"), url
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["content-type"].split(";")[0] in ("text/javascript", "application/javascript", "text/css")
        # the bytes are what the page's integrity attribute pins (the browser checks it too)
        assert "sha384-" + base64.b64encode(hashlib.sha384(asset.content).digest()).decode() == digest, url
        assert b"//unpkg.com" not in asset.content and b"cdn.jsdelivr" not in asset.content


async def test_graphiql_without_its_files_says_how_to_add_them(client: httpx.AsyncClient, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(graphiql_assets, "DEST", tmp_path)
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "make install" in page.text
    assert "https://" not in page.text and "http://" not in page.text


async def test_production_serves_no_graphiql(database_url: str) -> None:
    application = create_app(make_settings(database_url, env="production"))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://testserver") as c:
            page = await c.get("/graphql", headers={"accept": "text/html"})
            assert "graphiql.min.js" not in page.text
            assert (await c.get("/graphiql-assets/graphiql.min.js")).status_code == 404
    finally:
        await application.state.engine.dispose()


# ---------------------------------------------------------------- item 15: qonys admin-user


async def cli_async(url: str, *args: str) -> Any:
    return await asyncio.to_thread(invoke, url, *args)


async def audit_actions(sessions: Any, account_id: int) -> list[str]:
    async with sessions() as session:
        return list((await session.execute(
            select(AuditEvent.action).where(AuditEvent.entity_type == "admin_account", AuditEvent.entity_id == account_id)
            .order_by(AuditEvent.id))).scalars().all())


async def test_admin_user_list_reset_password_disable_enable(database_url: str, sessions: Any) -> None:
    async with transaction(sessions) as session:
        alice = await create_admin_account(session, SYSTEM, "alice", PASSWORD, AdminRole.ADMINISTRATOR)
        await create_admin_account(session, SYSTEM, "bob.auditor", PASSWORD, AdminRole.AUDITOR)

    listed = await cli_async(database_url, "admin-user", "list")
    assert listed.exit_code == 0, listed.output
    rows = {line.split()[1]: line for line in listed.stdout.splitlines() if "alice" in line or "bob.auditor" in line}
    assert "administrator" in rows["alice"] and "yes" in rows["alice"]
    assert "auditor" in rows["bob.auditor"]
    assert "argon2" not in listed.stdout

    reset = await cli_async(database_url, "admin-user", "reset-password", "alice", "--password", NEW_PASSWORD)
    assert reset.exit_code == 0, reset.output
    async with transaction(sessions) as session:
        assert await authenticate_admin(session, "alice", PASSWORD) is None
        assert await authenticate_admin(session, "alice", NEW_PASSWORD) is not None

    disabled = await cli_async(database_url, "admin-user", "disable", "alice")
    assert disabled.exit_code == 0, disabled.output
    async with transaction(sessions) as session:
        assert await authenticate_admin(session, "alice", NEW_PASSWORD) is None
    listed = await cli_async(database_url, "admin-user", "list")
    assert "disabled" in next(line for line in listed.stdout.splitlines() if "alice" in line)
    assert "already disabled" in one_line_error(await cli_async(database_url, "admin-user", "disable", "alice"))

    enabled = await cli_async(database_url, "admin-user", "enable", "alice")
    assert enabled.exit_code == 0, enabled.output
    async with transaction(sessions) as session:
        assert await authenticate_admin(session, "alice", NEW_PASSWORD) is not None

    assert await audit_actions(sessions, alice.id) == [
        "admin_account.create", "admin_account.reset_password", "admin_account.disable", "admin_account.enable"]
    async with sessions() as session:
        events = (await session.execute(select(AuditEvent).where(AuditEvent.entity_id == alice.id,
                                                                 AuditEvent.entity_type == "admin_account"))).scalars()
        assert all(NEW_PASSWORD not in str(e.changes) and "argon2" not in str(e.changes) for e in events)


async def test_admin_user_refusals_are_one_line_and_change_nothing(database_url: str, sessions: Any) -> None:
    async with transaction(sessions) as session:
        await create_admin_account(session, SYSTEM, "alice", PASSWORD, AdminRole.ADMINISTRATOR)
    async with sessions() as session:
        before = (await session.execute(select(AdminAccount.password_hash))).scalars().all()
    assert "not found" in one_line_error(await cli_async(database_url, "admin-user", "disable", "nobody"))
    assert "not found" in one_line_error(
        await cli_async(database_url, "admin-user", "reset-password", "nobody", "--password", NEW_PASSWORD))
    assert "12 characters" in one_line_error(
        await cli_async(database_url, "admin-user", "reset-password", "alice", "--password", "short"))
    async with sessions() as session:
        assert (await session.execute(select(AdminAccount.password_hash))).scalars().all() == before


async def test_a_password_reset_ends_the_accounts_panel_sessions(client: httpx.AsyncClient, database_url: str,
                                                                 sessions: Any) -> None:
    async with transaction(sessions) as session:
        await create_admin_account(session, SYSTEM, "alice", PASSWORD, AdminRole.ADMINISTRATOR)
    assert (await client.post("/admin/login", data={"username": "alice", "password": PASSWORD})).status_code == 302
    assert (await client.get("/admin/region/list")).status_code == 200
    reset = await cli_async(database_url, "admin-user", "reset-password", "alice", "--password", NEW_PASSWORD)
    assert reset.exit_code == 0, reset.output
    page = await client.get("/admin/region/list")
    assert page.status_code == 302 and page.headers["location"].endswith("/admin/login")
    assert (await client.post("/admin/login", data={"username": "alice", "password": NEW_PASSWORD})).status_code == 302
    assert (await client.get("/admin/region/list")).status_code == 200


async def test_a_disabled_account_is_logged_out_at_once(client: httpx.AsyncClient, database_url: str,
                                                        sessions: Any) -> None:
    async with transaction(sessions) as session:
        await create_admin_account(session, SYSTEM, "alice", PASSWORD, AdminRole.ADMINISTRATOR)
    assert (await client.post("/admin/login", data={"username": "alice", "password": PASSWORD})).status_code == 302
    assert (await cli_async(database_url, "admin-user", "disable", "alice")).exit_code == 0
    page = await client.get("/admin/region/list")
    assert page.status_code == 302 and page.headers["location"].endswith("/admin/login")
