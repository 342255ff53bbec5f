"""Failed authentication is limited per client address, and counted in the
database, so that every worker process and every machine count the same tries:
N processes allow 20 failures a minute, not N × 20.

The API allows ``API.tries`` failures per ``API.window`` and address, the admin
panel's login ``ADMIN.tries``. A client past its limit is refused (429) whatever
it sends, a good credential included, until its oldest failure in the window
has aged out of it (a moving window); the refused requests are not counted.

What it costs a request:

- a good credential: one question, how many failures the address has in the
  window. For an agency's API key it is a column of the key's own lookup
  (``failures``: no extra round trip); for an admin's password one indexed
  count (``refused``), on PostgreSQL through the compiled read path's asyncpg
  pool (one statement, no transaction, no pool pre-ping).
- a good signed token (``refused_signed``): nothing, unless this process has
  counted a failure of the address in the window; then the count as above. A
  token is signed with the service's key and cannot be guessed, so the limit
  has nothing to protect there; the count would be one more round trip to the
  database on every officer's and applicant's request (workload 1 of the
  bench: 0.2 ms of server CPU a request, a tenth of it). With one process a
  client past its limit still waits with a good token; with N processes, a
  token shown to a process that has not seen the client fail is let through:
  what it shows is not a guess. Keys and passwords, which a client could
  guess, are always checked against the shared count.
- a refused credential: one short write transaction (count, then insert the
  failure and delete the scope's rows older than the window). On PostgreSQL one
  address's count and insert are serialised by a transaction-scoped advisory
  lock (on SQLite the write lock does it), so two workers cannot both let the
  limit's last try through.

The rows are a working log, not a record of what happened: they are deleted as
the window moves, and carry no audit event (a failed admin login has its own,
``services.auth.login_admin``)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from core.clock import wall_clock
from core.db import read_session_factory, session_factory, transaction
from core.metrics import FAILED_AUTH
from core.readpool import read_pool
from core.settings import Settings
from models import FailedAuthentication
from services.rows import postgres_lock


log = logging.getLogger("qonys.throttle")


@dataclass(frozen=True)
class Limit:
    scope: str
    tries: int
    window: dt.timedelta


API = Limit("api", 20, dt.timedelta(minutes=1))
ADMIN = Limit("admin", 10, dt.timedelta(minutes=1))

def failure_count_sql(first: int = 1) -> str:
    """The count of ``failures`` (the same rows) as SQL for the read pool (PostgreSQL), its three
    parameters (``Throttle.count_args``) numbered from ``$first``: alone, or as a
    subquery of ``services.auth``'s key check."""
    return (f"SELECT count(*) FROM failed_authentication "
            f"WHERE scope = ${first} AND client = ${first + 1} AND at > ${first + 2}")


_COUNT_SQL = failure_count_sql()


class Throttle:
    """One limit's counter over the database (see the module's doc)."""

    # How many addresses a process remembers as having failed (``refused_signed``);
    # past it the oldest are forgotten, and a signed token from them is not checked.
    SEEN = 10_000

    def __init__(self, limit: Limit, engine: AsyncEngine, settings: Settings) -> None:
        self.limit = limit
        # address -> when this process last counted (or refused) a failure of it
        self._seen: dict[str, dt.datetime] = {}
        self._sessions = session_factory(engine)
        self._reads = read_session_factory(engine)
        self._pool = None if settings.is_sqlite else read_pool(engine, settings)

    def _since(self) -> dt.datetime:
        return wall_clock() - self.limit.window

    def failures(self, client: str) -> ColumnElement[int]:
        """The client's failures in the window, as a column to select beside others."""
        return (select(func.count()).select_from(FailedAuthentication)
                .where(FailedAuthentication.scope == self.limit.scope, FailedAuthentication.client == client[:64],
                       FailedAuthentication.at > self._since())
                .scalar_subquery())

    def count_args(self, client: str) -> list[Any]:
        """The arguments of ``failure_count_sql``: scope, client, window's start."""
        return [self.limit.scope, client[:64], self._since()]

    def over(self, failures: int) -> bool:
        """True (and counted as a 429) when ``failures`` reach the limit."""
        if failures >= self.limit.tries:
            FAILED_AUTH.labels(self.limit.scope, "429").inc()
            return True
        return False

    async def refused(self, client: str) -> bool:
        """True when ``client`` is over its limit (for a request whose credential was
        good). A database that cannot be asked refuses nobody: the request itself
        then says whether the service is available."""
        try:
            if self._pool is not None:
                count = await self._pool.fetchval(_COUNT_SQL, self.count_args(client))
            else:
                async with self._reads() as session:
                    count = (await session.execute(select(self.failures(client)))).scalar_one()
        except Exception:  # noqa: BLE001 - unreachable database: counted as no failures
            log.warning("the %s failed-authentication count is unavailable", self.limit.scope, exc_info=True)
            return False
        return self.over(count)

    async def refused_signed(self, client: str) -> bool:
        """``refused`` for a good signed token: asks the database only when this
        process has counted a failure of ``client`` in the window (module doc)."""
        seen = self._seen.get(client)
        if seen is None:
            return False
        if seen <= self._since():
            del self._seen[client]
            return False
        return await self.refused(client)

    def _saw(self, client: str, at: dt.datetime) -> None:
        self._seen.pop(client, None)  # re-inserted last: the dict stays oldest first
        self._seen[client] = at
        if len(self._seen) > self.SEEN:
            del self._seen[next(iter(self._seen))]

    async def failed(self, client: str) -> bool:
        """Count one refused credential of ``client``: True when it is counted (answer
        401), False when the client was already over its limit (answer 429)."""
        now = wall_clock()
        since = now - self.limit.window
        self._saw(client, now)
        try:
            async with transaction(self._sessions) as session:
                await postgres_lock(session, f"failed-authentication:{self.limit.scope}:{client}")
                count = (await session.execute(select(self.failures(client)))).scalar_one()
                if self.over(count):
                    return False
                await session.execute(delete(FailedAuthentication).where(
                    FailedAuthentication.scope == self.limit.scope, FailedAuthentication.at <= since))
                session.add(FailedAuthentication(scope=self.limit.scope, client=client[:64], at=now))
        except Exception:  # noqa: BLE001 - unreachable database: the credential is still refused (401)
            log.warning("the %s failed-authentication count is unavailable", self.limit.scope, exc_info=True)
        FAILED_AUTH.labels(self.limit.scope, "401").inc()
        return True
