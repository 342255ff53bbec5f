"""The ``qonys`` command."""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Callable
from typing import Any

import typer
from rich.table import Table

from cli.common import check_database, database, database_failure, err, fail, out, run, run_db, settings
from cli.demo import register as register_demo
from cli.explain import register as register_explain
from cli.integrity import register as register_integrity
from cli.jobs import register as register_jobs
from core.settings import Settings

app = typer.Typer(help="Qonys: the back office for Kazakhstan's 2026 migration policy.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations (Alembic).", no_args_is_help=True)
admin_user_app = typer.Typer(help="Accounts for the admin panel.", no_args_is_help=True)
agency_key_app = typer.Typer(help="Partner agencies' API keys.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(admin_user_app, name="admin-user")
app.add_typer(agency_key_app, name="agency-key")


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Upgrade the configured database (default: to head)."""
    from services.migrate import upgrade

    _migrate(upgrade, revision, "upgraded")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Downgrade the configured database to REVISION (e.g. base)."""
    from services.migrate import downgrade

    _migrate(downgrade, revision, "downgraded")


def _migrate(step: Callable[[str, str], None], revision: str, done: str) -> None:
    cfg = settings()
    try:
        step(cfg.session_database_url, revision)  # DDL on PostgreSQL itself, not through PgBouncer
    except Exception as exc:  # noqa: BLE001
        database_failure(exc)
    out.print(f"database {done} to {revision}")


@app.command()
def seed() -> None:
    """Load the reference data (idempotent)."""
    from services.seed import seed as do_seed

    report = run_db(do_seed)
    if report.total:
        out.print("seeded: " + ", ".join(f"{k} {v}" for k, v in sorted(report.created.items())))
    else:
        out.print("reference data already present; nothing changed")
    for note in report.notes:
        err.print(f"[yellow]note:[/yellow] {note}", highlight=False)
    rescore_after_seed(settings(), report.published)


def rescore_after_seed(cfg: Settings, published: list[int]) -> list[Any]:
    """After a seed that published default model versions (committed by now):
    what publishing over the API does next (``jobs.after_publish``: re-scored
    inline on SQLite, queued for ``qonys worker`` on PostgreSQL), when any
    application has a score (a fresh database has none). Returns the outcomes."""
    if not published:
        return []
    from sqlalchemy import func, select

    from core.db import session_factory, transaction
    from models import Score
    from services import jobs

    async def main() -> list[Any]:
        async with database(cfg, at_head=False) as engine:
            sessions = session_factory(engine)
            async with transaction(sessions) as session:
                if not (await session.execute(select(func.count()).select_from(Score))).scalar_one():
                    return []
            return [await jobs.after_publish(cfg, model_id, sessions=sessions) for model_id in published]

    try:
        outcomes = asyncio.run(main())
    except Exception as exc:  # noqa: BLE001
        database_failure(exc)
        return []
    for outcome in outcomes:
        out.print(outcome.message)
    return outcomes


@app.command()
def token(
    role: str = typer.Option(..., help="APPLICANT, OFFICER or ADMIN"),
    subject: str = typer.Option(..., help="the subject (user id)"),
    ttl_minutes: int = typer.Option(60, help="lifetime in minutes (at least 1)"),
) -> None:
    """Print a signed JWT for development and tests."""
    from services.auth import mint_token

    if ttl_minutes < 1:
        fail(f"--ttl-minutes must be at least 1 (got {ttl_minutes}); a token that is already expired is of no use", 2)
    try:
        print(mint_token(settings(), subject=subject, role=role.upper(), ttl_minutes=ttl_minutes))
    except ValueError as exc:
        fail(str(exc), 2)


@admin_user_app.command("create")
def admin_user_create(
    username: str,
    password: str | None = typer.Option(None, help="prompted for when not given"),
    auditor: bool = typer.Option(False, help="read-only account"),
) -> None:
    """Create an account for the admin panel."""
    from models.enums import AdminRole
    from services.auth import create_admin_account
    from services.viewer import SYSTEM

    password = _new_password(password)
    role = AdminRole.AUDITOR if auditor else AdminRole.ADMINISTRATOR
    run_db(lambda s: create_admin_account(s, SYSTEM, username, password, role))
    out.print(f"admin account {username} created ({role.value.lower()})")


def _new_password(password: str | None) -> str:
    if password is None:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            fail("the passwords differ")
    return password


@admin_user_app.command("list")
def admin_user_list() -> None:
    """List the admin panel's accounts."""
    from services.auth import list_admin_accounts
    from services.viewer import SYSTEM

    table = Table("username", "role", "active", "created", "last login")
    for account in run_db(lambda s: list_admin_accounts(s, SYSTEM)):
        table.add_row(account.username, account.role.value.lower(), "yes" if account.active else "no (disabled)",
                      f"{account.created_at:%Y-%m-%d %H:%M}",
                      f"{account.last_login_at:%Y-%m-%d %H:%M}" if account.last_login_at else "")
    out.print(table)


@admin_user_app.command("reset-password")
def admin_user_reset_password(
    username: str, password: str | None = typer.Option(None, help="prompted for when not given"),
) -> None:
    """Give USERNAME a new password (its open panel sessions end)."""
    from services.auth import reset_admin_password
    from services.viewer import SYSTEM

    password = _new_password(password)
    run_db(lambda s: reset_admin_password(s, SYSTEM, username, password))
    out.print(f"password of admin account {username} reset")


@admin_user_app.command("disable")
def admin_user_disable(username: str) -> None:
    """Disable USERNAME: it can no longer log in, and its open sessions end."""
    from services.auth import set_admin_account_active
    from services.viewer import SYSTEM

    run_db(lambda s: set_admin_account_active(s, SYSTEM, username, False))
    out.print(f"admin account {username} disabled")


@admin_user_app.command("enable")
def admin_user_enable(username: str) -> None:
    """Enable a disabled account again."""
    from services.auth import set_admin_account_active
    from services.viewer import SYSTEM

    run_db(lambda s: set_admin_account_active(s, SYSTEM, username, True))
    out.print(f"admin account {username} enabled")


@agency_key_app.command("create")
def agency_key_create(agency_code: str, label: str | None = typer.Option(None)) -> None:
    """Create an API key for AGENCY_CODE and print it once."""
    from services.auth import create_agency_key
    from services.viewer import SYSTEM

    row, key = run_db(lambda s: create_agency_key(s, SYSTEM, agency_code, label))
    err.print(f"API key {row.prefix} for {agency_code}; it is shown only this once:")
    print(key)


@agency_key_app.command("list")
def agency_key_list() -> None:
    """List API keys (prefixes only)."""
    from sqlalchemy import select

    from models import Agency, AgencyApiKey

    async def rows(session: Any) -> list[Any]:
        return list((await session.execute(
            select(AgencyApiKey, Agency.code).join(Agency, Agency.id == AgencyApiKey.agency_id).order_by(AgencyApiKey.id)
        )).all())

    table = Table("prefix", "agency", "label", "created", "last used", "revoked")
    for key, code in run_db(rows):
        table.add_row(key.prefix, code, key.label or "", f"{key.created_at:%Y-%m-%d %H:%M}",
                      f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "",
                      f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "")
    out.print(table)


@agency_key_app.command("revoke")
def agency_key_revoke(prefix: str) -> None:
    """Revoke the API key with PREFIX."""
    from services.auth import revoke_agency_key
    from services.viewer import SYSTEM

    run_db(lambda s: revoke_agency_key(s, SYSTEM, prefix))
    out.print(f"API key {prefix} revoked")


@app.command()
def schema() -> None:
    """Print the GraphQL schema (SDL)."""
    from api.graphql.schema import print_schema

    sys.stdout.write(print_schema())


def prepare_embedded(cfg: Settings) -> None:
    """On the embedded SQLite default: migrate and seed."""
    from core.db import session_factory, transaction
    from services.migrate import upgrade
    from services.seed import seed as do_seed

    upgrade(cfg.database_url)

    async def main() -> list[int]:
        async with database(cfg, at_head=False) as engine, transaction(session_factory(engine)) as session:
            return (await do_seed(session)).published

    rescore_after_seed(cfg, asyncio.run(main()))


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", envvar="QONYS_HOST"),
    port: int = typer.Option(8000, envvar="QONYS_PORT", min=1, max=65535),
    workers: int = typer.Option(1, min=1, help="processes (PostgreSQL only; SQLite runs one)"),
    access_log: bool = typer.Option(True, help="uvicorn's plain-text line for every HTTP request, beside the "
                                              "JSON line Qonys writes for every GraphQL operation"),
) -> None:
    """Serve /graphql, /admin and /healthz."""
    import uvicorn

    cfg = settings()
    if cfg.is_embedded_default:
        prepare_embedded(cfg)
    else:
        run(lambda: check_database(cfg))
    if cfg.is_sqlite and workers > 1:
        fail("SQLite serves one process; use PostgreSQL for --workers > 1", 2)
    out.print(f"Qonys on http://{host}:{port}/graphql  (admin: /admin, health: /healthz)")
    if workers == 1:
        uvicorn.run("server.asgi:app", host=host, port=port, log_level="info", access_log=access_log,
                    timeout_graceful_shutdown=30, proxy_headers=False)
        return
    from core.metrics import multiprocess_directory
    from core.replica import write_marks_directory

    # The workers count into one set of metrics (files in this directory, summed
    # at each scrape, whichever worker takes it); removed when they have stopped.
    # With a read replica they also share the callers' write marks (core.replica).
    with multiprocess_directory(), write_marks_directory(cfg):
        uvicorn.run("server.asgi:app", host=host, port=port, workers=workers, log_level="info",
                    access_log=access_log, timeout_graceful_shutdown=30, proxy_headers=False)


register_jobs(app)  # rescore, worker
register_demo(app)  # demo-data
register_integrity(app)  # check-integrity
register_explain(app)  # what-if

if __name__ == "__main__":
    app()
