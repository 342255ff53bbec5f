"""Reads from a streaming replica of the primary (``QONYS_READ_DATABASE_URL``;
PostgreSQL only; README, "Read replica").

``Replica`` holds the replica's engine (its sessions, and through
``core.readpool`` the compiled read path's asyncpg pool there), whether the
replica can be reached, and the callers' last writes. The API asks it, once per
query operation, whether that caller may read the replica (``route``); writes,
mutations, credentials and the failed-authentication limiter never come here.

Reading one's own writes. After a mutation the API takes the primary's WAL
position (``written``: ``pg_current_wal_flush_lsn()``, one statement on the
primary's read pool, after the mutation committed) and keeps it for the caller
(a *write mark*, keyed by the authenticated principal, for ``MARK_TTL_S``). A
later query of that caller first asks the replica how far it has replayed
(``pg_last_wal_replay_lsn()``), polling for up to ``replica_wait_ms``; caught up,
it reads the replica (and the mark is done with); still behind, the primary.
A caller with no mark, or whose mark this process has already seen replayed,
costs nothing more than a look-up in memory (or, across workers, one small file
read). The marks live in this process (``MemoryMarks``) or, when
``write_marks_dir`` is set (``qonys serve --workers N`` sets it), in files that
every worker of the machine reads (``DirectoryMarks``). A client that may land
on another machine carries the position itself: the mutation's response says
``Qonys-Write-LSN``, and a request that sends it back as ``Qonys-Min-LSN`` is
held to it like a mark.

A replica that cannot be reached (refused, timed out, shutting down, starting
up, out of connections) sends the reads to the primary, with a warning in the
log (at most one a minute) and ``qonys_replica_reads{route="down"}`` counted
(``api.graphql.replica``), and is probed again in the background every ``replica_retry_s``; a request never
fails for it. A read already under way when it goes down finds it out on
connecting: the engine then connects to the primary instead (``_connect``:
such a connection is dropped when the replica is back), and the compiled path
repeats its statement on the primary's pool."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import asyncpg
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.db import create_engine, read_session_factory
from core.readpool import ReadPool, read_pool
from core.settings import Settings
from core.workdirs import shared_directory

log = logging.getLogger("qonys.replica")

# How long a write mark holds: a replica further behind than this is one to take
# out of service (its lag is on the replica's own pg_stat_replication row).
MARK_TTL_S = 60.0
# After a wait that ran out, the next callers with a mark only ask (no waiting)
# for this long: a replica that lags does not cost every writer the full wait.
LAGGING_HOLD_S = 1.0
WARN_EVERY_S = 60.0
POLL_FIRST_S = 0.002
POLL_MAX_S = 0.025
# Set on a pooled connection of the replica's engine that went to the primary.
FALLBACK = "qonys_replica_fallback"
# Errors that say the server cannot be reached or cannot serve: connection
# exceptions (08), shutting down or starting up (57P01-57P03), too many
# connections (53300).
_UNREACHABLE_STATES = ("57P01", "57P02", "57P03", "53300")
LSN_TEXT = re.compile(r"[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}")


def parse_lsn(text: str) -> int:
    """PostgreSQL's ``X/Y`` WAL position as a number; ValueError if it is not one."""
    if not LSN_TEXT.fullmatch(text):
        raise ValueError(f"not a WAL position: {text[:40]!r}")
    high, low = text.split("/")
    return (int(high, 16) << 32) | int(low, 16)


def format_lsn(value: int) -> str:
    return f"{value >> 32:X}/{value & 0xFFFFFFFF:X}"


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    seen = 0
    while exc is not None and seen < 10:
        yield exc
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
        seen += 1


def unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says the server could not be reached or cannot serve now (as
    opposed to a statement that failed)."""
    for e in _chain(exc):
        if isinstance(e, (OSError, TimeoutError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError)):
            return True
        state = getattr(e, "sqlstate", None)
        if isinstance(state, str) and (state.startswith("08") or state in _UNREACHABLE_STATES):
            return True
    return False


class WriteMarks(Protocol):
    def get(self, principal: str) -> int | None: ...
    def put(self, principal: str, lsn: int) -> None: ...
    def replayed(self, principal: str, lsn: int) -> None: ...


class MemoryMarks:
    """The write marks of one process: principal → (WAL position, expiry)."""

    def __init__(self, ttl: float = MARK_TTL_S, limit: int = 10_000) -> None:
        self._ttl = ttl
        self._limit = limit
        self._marks: dict[str, tuple[int, float]] = {}

    def get(self, principal: str) -> int | None:
        found = self._marks.get(principal)
        if found is None:
            return None
        if found[1] <= time.monotonic():
            del self._marks[principal]
            return None
        return found[0]

    def put(self, principal: str, lsn: int) -> None:
        now = time.monotonic()
        kept = self._marks.pop(principal, None)
        if kept is not None and kept[1] > now:
            lsn = max(lsn, kept[0])
        self._marks[principal] = (lsn, now + self._ttl)  # last in the dict order: the newest
        if len(self._marks) > self._limit:
            for key in [k for k, (_, expires) in self._marks.items() if expires <= now]:
                del self._marks[key]
            while len(self._marks) > self._limit:  # still full: the oldest marks go first
                del self._marks[next(iter(self._marks))]

    def replayed(self, principal: str, lsn: int) -> None:
        """The replica has replayed up to ``lsn``: a mark at or below it is done with."""
        found = self._marks.get(principal)
        if found is not None and found[0] <= lsn:
            del self._marks[principal]


class DirectoryMarks:
    """Write marks that every worker of one machine sees: a file per principal (a
    hash of it) in ``path``, holding the WAL position, valid for ``ttl`` seconds
    after it was written. A look-up for a caller without a recent write is one
    failed ``open``; old files are swept by the writers."""

    SWEEP_EVERY_S = 30.0

    def __init__(self, path: str | Path, ttl: float = MARK_TTL_S) -> None:
        self._path = Path(path)
        self._path.mkdir(parents=True, exist_ok=True)
        self._ttl = ttl
        self._swept = 0.0

    def _file(self, principal: str) -> Path:
        return self._path / hashlib.blake2b(principal.encode(), digest_size=16).hexdigest()

    def get(self, principal: str) -> int | None:
        try:
            with open(self._file(principal), "rb") as handle:
                written = os.fstat(handle.fileno()).st_mtime
                text = handle.read(32)
        except OSError:  # none (the usual case), or unreadable: no mark
            return None
        if time.time() - written > self._ttl:
            return None
        try:
            return int(text)
        except ValueError:
            return None

    def put(self, principal: str, lsn: int) -> None:
        kept = self.get(principal)  # two workers writing for one caller at once: the higher stays, nearly always
        if kept is not None and kept >= lsn:
            return
        target = self._file(principal)
        temporary = target.with_name(f".{target.name}.{os.getpid()}")
        try:
            temporary.write_bytes(str(lsn).encode())
            os.replace(temporary, target)
        except OSError:
            log.warning("cannot keep a write mark in %s", self._path, exc_info=True)
        self._sweep()

    def replayed(self, principal: str, lsn: int) -> None:
        """Nothing to do: a file expires by itself, and this process remembers how far
        the replica has replayed, so the mark costs no further question to it."""

    def _sweep(self) -> None:
        now = time.time()
        if now - self._swept < self.SWEEP_EVERY_S:
            return
        self._swept = now
        try:
            with os.scandir(self._path) as entries:
                for entry in entries:
                    try:
                        if now - entry.stat().st_mtime > self._ttl:
                            os.unlink(entry.path)
                    except OSError:
                        pass  # another worker swept it first
        except OSError:
            pass


WRITE_MARKS_ENV = "QONYS_WRITE_MARKS_DIR"


@contextmanager
def write_marks_directory(settings: Settings) -> Iterator[Path | None]:
    """For the workers started inside (``qonys serve --workers N``), with a read
    replica: ``QONYS_WRITE_MARKS_DIR`` set to a new directory, removed afterwards;
    one named in the variable already is used (and kept). Without a replica: nothing."""
    if settings.read_database_url is None:
        yield None
        return
    with shared_directory(WRITE_MARKS_ENV, settings.write_marks_dir, "qonys-write-marks-") as path:
        yield path


class Replica:
    """The read replica of one application (see the module's doc)."""

    def __init__(self, primary: AsyncEngine, settings: Settings, marks: WriteMarks | None = None) -> None:
        assert settings.read_database_url is not None
        self.primary = primary
        self.settings = settings
        self.engine = create_engine(settings, url=settings.read_database_url, application_name="qonys-replica")
        self.sessions: async_sessionmaker[AsyncSession] = read_session_factory(self.engine)
        self.marks: WriteMarks = marks or (
            DirectoryMarks(settings.write_marks_dir) if settings.write_marks_dir else MemoryMarks())
        self._wait = settings.replica_wait_ms / 1000
        self._retry = settings.replica_retry_s
        self._replayed = 0  # the furthest position this process has seen the replica replay
        self._down_until: float | None = None  # monotonic; None: the replica is taken to be up
        self._warned = 0.0
        self._lagging_until = 0.0
        self._probe: asyncio.Task[None] | None = None
        self._poll: asyncio.Future[int] | None = None
        event.listen(self.engine.sync_engine, "do_connect", self._connect)
        event.listen(self.engine.sync_engine, "checkout", self._checkout)

    # -- where to read ---------------------------------------------------------

    @property
    def pool(self) -> ReadPool:
        """The compiled read path's pool on the replica."""
        return read_pool(self.engine, self.settings)

    @property
    def primary_pool(self) -> ReadPool:
        return read_pool(self.primary, self.settings)

    def available(self) -> bool:
        """Whether the replica is taken to be up; when it is down and due for another
        try, a probe starts in the background (the caller reads the primary)."""
        if self._down_until is None:
            return True
        if time.monotonic() >= self._down_until and self._probe is None:
            self._probe = asyncio.get_running_loop().create_task(self._try_again())
        return False

    @property
    def down(self) -> bool:
        return self._down_until is not None

    async def route(self, principal: str | None, min_lsn: int | None = None) -> str:
        """Where a query operation of ``principal`` reads: ``"replica"`` when it is up
        and has replayed the caller's last write (its mark, or ``min_lsn``, the
        position the client sent), waiting for that up to ``replica_wait_ms``;
        else the primary, because the replica is ``"lagging"`` or ``"down"``."""
        if not self.available():
            return "down"
        mark = self.marks.get(principal) if principal is not None else None
        needed = max(mark or 0, min_lsn or 0)
        if needed > self._replayed:
            now = time.monotonic()
            wait = 0.0 if now < self._lagging_until else self._wait
            try:
                caught_up = await self._replayed_to(needed, now + wait)
            except Exception as exc:  # noqa: BLE001 - the replica cannot say: read the primary
                if unreachable(exc):
                    self.failed(exc)
                    return "down"
                log.warning("the read replica's replay position is unavailable", exc_info=True)
                return "lagging"
            if not caught_up:
                if wait:
                    self._lagging_until = time.monotonic() + LAGGING_HOLD_S
                return "lagging"
        if mark is not None and principal is not None:
            self.marks.replayed(principal, self._replayed)
        return "replica"

    async def written(self, principal: str | None) -> int | None:
        """After a request's writes committed: the primary's WAL position, kept as the
        caller's write mark (and returned, for the response to carry). The flush
        position: with ``synchronous_commit`` on (Qonys never turns it off) it is
        at or past the end of every transaction committed before, and it is what
        the primary streams to its replicas."""
        try:
            text = await self.primary_pool.fetchval("SELECT pg_current_wal_flush_lsn()::text", [])
        except Exception:  # noqa: BLE001 - no mark: this caller may read stale data, never fail
            log.warning("the primary's WAL position is unavailable; no write mark kept", exc_info=True)
            return None
        lsn = parse_lsn(text)
        if principal is not None:
            self.marks.put(principal, lsn)
        return lsn

    # -- health ----------------------------------------------------------------

    def failed(self, exc: BaseException) -> None:
        """The replica could not be reached: the reads go to the primary, and the
        replica is tried again in ``replica_retry_s``."""
        now = time.monotonic()
        was_up = self._down_until is None
        self._down_until = now + self._retry
        self._replayed = 0  # a restarted replica starts over from its last restart point
        if was_up or now - self._warned >= WARN_EVERY_S:
            self._warned = now
            log.warning("the read replica cannot be reached (%s: %s); reading from the primary, "
                        "trying it again every %ss", type(exc).__name__, exc, self._retry)

    async def _try_again(self) -> None:
        try:
            replayed = await self._query_replay()
        except Exception as exc:  # noqa: BLE001
            self.failed(exc)
        else:
            self._down_until = None
            log.warning("the read replica is back (replayed to %s); reading from it again", format_lsn(replayed))
        finally:
            self._probe = None

    # -- the replica's replay position -----------------------------------------

    async def _replayed_to(self, needed: int, deadline: float) -> bool:
        delay = POLL_FIRST_S
        while True:
            if await self._replay() >= needed:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            await asyncio.sleep(min(delay, remaining))
            delay = min(delay * 2, POLL_MAX_S)

    async def _replay(self) -> int:
        """The replica's replay position; callers at the same moment share one question."""
        if self._poll is None or self._poll.done():
            self._poll = asyncio.ensure_future(self._query_replay())
        return await asyncio.shield(self._poll)

    async def _query_replay(self) -> int:
        text = await self.pool.fetchval("SELECT pg_last_wal_replay_lsn()::text", [])
        # NULL: not in recovery (promoted, or the URL names a primary): it has all it will have.
        value = parse_lsn(text) if text is not None else (1 << 64) - 1
        self._replayed = max(self._replayed, value)
        return self._replayed

    # -- the replica engine's connections ----------------------------------------

    def _connect(self, dialect: Any, record: Any, cargs: list[Any], cparams: dict[str, Any]) -> Any:
        """A new connection of the replica's engine: to the replica, or, when it
        cannot be reached, to the primary (the read under way then succeeds)."""
        record.info.pop(FALLBACK, None)
        if self._down_until is None:
            try:
                return dialect.connect(*cargs, **cparams)
            except Exception as exc:
                if not unreachable(exc):
                    raise
                self.failed(exc)
        record.info[FALLBACK] = True
        return dialect.connect(*cargs, **self._primary_params(dialect, cparams))

    def _primary_params(self, dialect: Any, cparams: dict[str, Any]) -> dict[str, Any]:
        _, replica_url = dialect.create_connect_args(self.engine.url)
        _, primary_url = dialect.create_connect_args(self.primary.url)
        return {**{k: v for k, v in cparams.items() if k not in replica_url}, **primary_url}

    def _checkout(self, _dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if record.info.get(FALLBACK) and self._down_until is None:
            raise DisconnectionError("the read replica is back")  # the pool connects again, to it

    async def close(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
        await self.engine.dispose()  # closes its read pool too
