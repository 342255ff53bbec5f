"""What every ``qonys`` command shares: the consoles, how a command fails, the
settings, the database (at the head revision) and how its errors are told."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console

from core.settings import ConfigError, Settings, load_settings

err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)
T = TypeVar("T")


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


def settings() -> Settings:
    try:
        cfg = load_settings()
    except ConfigError as exc:
        fail(str(exc), 2)
    cfg.apply_clock()
    return cfg


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return seen


def database_error(exc: BaseException) -> str | None:
    """One line for an error of the database (unreachable, or refusing), or None
    for anything else (a bug, which keeps its traceback)."""
    import asyncpg
    import psycopg
    from procrastinate.exceptions import ConnectorException
    from sqlalchemy.exc import DBAPIError

    unreachable: tuple[type[BaseException], ...] = (
        OSError, TimeoutError, asyncpg.InvalidCatalogNameError, asyncpg.InvalidAuthorizationSpecificationError,
        asyncpg.InvalidPasswordError, asyncpg.CannotConnectNowError, asyncpg.ConnectionDoesNotExistError,
        psycopg.OperationalError)
    database: tuple[type[BaseException], ...] = (
        DBAPIError, asyncpg.PostgresError, asyncpg.InterfaceError, psycopg.Error, ConnectorException)
    chain = _chain(exc)

    def line(e: BaseException) -> str:
        text = (str(e).strip().splitlines() or [""])[0]
        return f"{e.__class__.__name__}: {text}" if text else e.__class__.__name__

    for e in chain:
        if isinstance(e, unreachable):
            return f"cannot reach the database at QONYS_DATABASE_URL ({line(e)})"
    for e in reversed(chain):
        if isinstance(e, database):
            return f"the database refused the operation ({line(e)})"
    return None


def database_failure(exc: Exception) -> None:
    """One line when ``exc`` means the database cannot be reached or used (refused
    connection, unknown database, wrong password ...); any other error is re-raised."""
    message = database_error(exc)
    if message is None:
        raise exc
    fail(message)


async def require_head(engine: Any, cfg: Settings) -> None:
    from services.migrate import is_at_head

    at_head, current, head = await is_at_head(engine, cfg.database_url)
    if not at_head:
        fail(f"the database is at revision {current or 'none (empty)'}, not at head {head}; run `qonys db upgrade` first")


@asynccontextmanager
async def database(cfg: Settings, *, at_head: bool = True) -> AsyncIterator[Any]:
    """An engine on the configured database (which must be at the head revision,
    unless ``at_head`` is false), disposed of afterwards."""
    from core.db import create_engine

    engine = create_engine(cfg)
    try:
        if at_head:
            await require_head(engine, cfg)
        yield engine
    finally:
        await engine.dispose()


async def check_database(cfg: Settings) -> None:
    """Fail unless the configured database can be reached and is at the head revision."""
    async with database(cfg):
        pass


def run(main: Callable[[], Awaitable[T]]) -> T:
    """``asyncio.run(main())``: a service's refusal or a database error is one line
    and exit status 1; any other error keeps its traceback."""
    from services.errors import ServiceError

    try:
        return asyncio.run(main())  # type: ignore[arg-type]
    except ServiceError as exc:
        fail("; ".join(e.message for e in exc.errors))
    except typer.Exit:
        raise
    except Exception as exc:  # noqa: BLE001
        database_failure(exc)
    raise AssertionError("unreachable")


def run_db(fn: Callable[..., Awaitable[T]], *args: Any) -> T:
    """Run ``fn(session, *args)`` in one transaction against the configured database."""
    from core.db import session_factory, transaction

    cfg = settings()

    async def main() -> T:
        async with database(cfg) as engine, transaction(session_factory(engine)) as session:
            return await fn(session, *args)

    return run(main)
