"""The GraphQL context: settings, the session factory, the viewer and the loaders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import Info as _Info

from api.graphql.loaders import Loaders
from core.db import transaction
from core.replica import Replica, unreachable
from core.settings import Settings
from services import rows, webhooks
from services.viewer import Viewer
from services.webhooks import worker as webhook_worker


@dataclass
class Context:
    request: Request | None
    response: Response | None
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    viewer: Viewer
    read_sessions: async_sessionmaker[AsyncSession] | None = None
    # SPEC §16: the language the request's Accept-Language picks (kk, ru or en).
    language: str = "en"
    # The read replica, when one is configured: ``api.graphql.replica.ReadRouting``
    # sends a query operation's reads there (``on_replica``) when the caller may.
    replica: Replica | None = None
    on_replica: bool = False
    loaders: Loaders = field(init=False)
    extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.read_sessions is None:
            self.read_sessions = self.sessions
        self._primary_reads = self.read_sessions
        self.loaders = Loaders(self.read_sessions, self.viewer)

    def read_from_replica(self) -> None:
        """This operation's reads (loaders, ``read()``, the compiled path) go to the replica."""
        assert self.replica is not None
        self.read_sessions = self.replica.sessions
        self.on_replica = True
        self.loaders = Loaders(self.read_sessions, self.viewer)

    def replica_failed(self, exc: BaseException) -> None:
        """A read on the replica failed; if it could not be reached, the rest of the
        operation (and every request, until it is back) reads the primary."""
        if self.replica is not None and unreachable(exc):
            self.replica.failed(exc)
            self.read_sessions = self._primary_reads
            self.on_replica = False
            self.loaders = Loaders(self.read_sessions, self.viewer)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One transaction for a mutation; loaders are reset afterwards so the
        payload is read as committed, and the webhook deliveries it queued are
        handed to the sender (in the background: never delaying the answer)."""
        async with transaction(self.sessions) as session:
            yield session
        self.loaders = Loaders(self.read_sessions or self.sessions, self.viewer)
        for model, row in rows.known_rows(session):  # rows the write already has, as committed
            self.loaders.by_id(model).prime(row.id, row, force=True)
        webhook_worker.after_commit(self.settings, webhooks.queued(session))

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with (self.read_sessions or self.sessions)() as session:
            yield session


Info = _Info[Context, None]
