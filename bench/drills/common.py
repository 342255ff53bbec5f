"""What the drills share (``bench/integrity``, ``bench/crash_drill``, ``bench/soak``):
a private database (one on the local PostgreSQL server, or a SQLite file), the
``qonys`` command run on it, the API as a subprocess in production mode
(``harness.servers.Server``), an officer's token and an agency's API key."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

BENCH = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BENCH))  # harness

from harness.common import ROOT, VENV_BIN, log  # noqa: E402  (puts ROOT on sys.path too)
from harness.procs import rss_mb  # noqa: E402
from harness.servers import Server, _healthz  # noqa: E402

PG_BASE = os.environ.get("BENCH_DRILL_PG", "postgresql://postgres@127.0.0.1:5432")
ALMATY = ZoneInfo("Asia/Almaty")

__all__ = ["ALMATY", "BENCH", "Database", "ROOT", "api_server", "arguments", "credentials", "kill", "log", "prepare",
           "qonys", "rss_mb", "today", "new_secret"]


def arguments(doc: str | None, *, seconds: float, applications: int, name: str, port: int,
              database: str | None = None) -> argparse.ArgumentParser:
    """The options the crash drill and the soak share (``database`` given: the
    positional argument may be left out)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database", choices=["postgres", "sqlite"], **(
        {"nargs": "?", "default": database} if database else {}))
    parser.add_argument("--seconds", type=float, default=seconds)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--applications", type=int, default=applications, help="demo data filled first")
    parser.add_argument("--name", default=name, help="the database (a file name on SQLite)")
    parser.add_argument("--port", type=int, default=port)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser


def today() -> dt.date:
    """Today in Almaty: the date the API checks payments and terminations against."""
    return dt.datetime.now(ALMATY).date()


def new_secret() -> str:
    return "drill-" + secrets.token_hex(24)


@dataclass
class Database:
    """A database of the drill's own: ``name`` on the PostgreSQL server at
    ``BENCH_DRILL_PG`` (default 127.0.0.1:5432), or the SQLite file ``path``."""

    kind: str  # "postgres" or "sqlite"
    name: str
    path: Path | None = None

    @classmethod
    def of(cls, kind: str, name: str, work: Path) -> Database:
        if kind not in ("postgres", "sqlite"):
            raise SystemExit(f"the database is postgres or sqlite (got {kind})")
        return cls(kind, name, work / f"{name}.db" if kind == "sqlite" else None)

    @property
    def dsn(self) -> str:
        return f"{PG_BASE}/{self.name}"

    @property
    def url(self) -> str:
        if self.kind == "sqlite":
            return f"sqlite+aiosqlite:///{self.path}"
        return self.dsn.replace("postgresql://", "postgresql+asyncpg://", 1)

    async def _admin(self, *statements: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(f"{PG_BASE}/postgres", timeout=10)
        try:
            for sql in statements:
                await conn.execute(sql)
        finally:
            await conn.close()

    def create(self) -> None:
        """A new, empty database (dropping one of the same name)."""
        if self.kind == "sqlite":
            assert self.path is not None
            self.path.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            return
        asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)',
                                f'CREATE DATABASE "{self.name}"'))

    def drop(self) -> None:
        if self.kind == "sqlite":
            assert self.path is not None
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            return
        asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))


def _env(db: Database, secret: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QONYS_")}
    env.update(QONYS_DATABASE_URL=db.url, QONYS_SECRET_KEY=secret, PYTHONPATH=str(ROOT), COLUMNS="200",
               NO_COLOR="1", **extra)
    return env


def qonys(db: Database, secret: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``qonys ARGS`` on the database (this tree's code), its output captured."""
    done = subprocess.run([str(VENV_BIN / "python"), "-m", "cli.main", *args], cwd=ROOT, env=_env(db, secret),
                          capture_output=True, text=True)
    if check and done.returncode != 0:
        raise SystemExit(f"qonys {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def prepare(db: Database, secret: str, applications: int) -> float:
    """Create, migrate and seed the database and fill it with ``applications`` of
    demo data; returns the seconds the fill took."""
    db.create()
    qonys(db, secret, "db", "upgrade")
    qonys(db, secret, "seed")
    if applications <= 0:
        return 0.0
    log(f"qonys demo-data --applications {applications} ({db.kind})")
    started = time.perf_counter()
    qonys(db, secret, "demo-data", "--applications", str(applications))
    return time.perf_counter() - started


def api_server(db: Database, secret: str, port: int, log_path: Path) -> Server:
    """``uvicorn server.asgi:app`` (one process) in production mode on the database."""
    env = _env(db, secret, QONYS_ENV="production")
    argv = [str(VENV_BIN / "python"), "-m", "uvicorn", "server.asgi:app", "--host", "127.0.0.1", "--port",
            str(port), "--workers", "1", "--log-level", "warning", "--no-access-log"]
    return Server("Qonys", argv, env, port, _healthz, log_path)


def kill(server: Server) -> int:
    """SIGKILL the server's process (no shutdown of any kind); returns its pid."""
    pid = server.pid
    os.kill(pid, signal.SIGKILL)
    assert server.proc is not None
    server.proc.wait(30)
    return pid


def credentials(db: Database, secret: str, agency: str = "GPO") -> tuple[str, str]:
    """An OFFICER's JWT and a new API key of ``agency``."""
    from core.db import create_engine, session_factory, transaction
    from core.settings import load_settings
    from services.auth import create_agency_key, mint_token
    from services.viewer import SYSTEM

    settings = load_settings(database_url=db.url, secret_key=secret)
    officer = mint_token(settings, subject="drill-officer", role="OFFICER", ttl_minutes=24 * 60)

    async def key() -> str:
        engine = create_engine(settings)
        try:
            async with transaction(session_factory(engine)) as session:
                return (await create_agency_key(session, SYSTEM, agency, "drill"))[1]
        finally:
            await engine.dispose()

    return officer, asyncio.run(key())
