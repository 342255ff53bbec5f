"""A webhook receiver on loopback (``http.server`` in a thread) and the way each
database sends deliveries: procrastinate jobs on PostgreSQL, the inline sender
on SQLite."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import transaction
from core.settings import Settings
from models import WebhookAttempt, WebhookDelivery
from models.enums import WebhookDeliveryStatus
from services import jobs
from services.webhooks import worker
from tests.conftest import BACKEND, make_settings

FAST = {"webhook_backoff_s": 0.02, "webhook_timeout_s": 2.0}


def fast_settings(database_url: str, **extra: Any) -> Settings:
    """Settings whose retries come after 0.02 s, 0.04 s, … instead of 10 s, 20 s, …"""
    return make_settings(database_url, **{**FAST, **extra})


async def sending_settings(database_url: str) -> Settings:
    """``fast_settings``, and on PostgreSQL an empty job queue: what a test that sends
    deliveries starts from (its ``settings`` fixture)."""
    cfg = fast_settings(database_url)
    if BACKEND == "postgres":
        await reset_job_queue(cfg)
    return cfg


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int


@dataclass
class Receiver:
    """Answers 500 to the first ``fail_first`` requests, then 204; keeps every request."""

    fail_first: int = 0
    requests: list[Received] = field(default_factory=list)
    url: str = ""

    @property
    def accepted(self) -> list[Received]:
        return [r for r in self.requests if 200 <= r.answered < 300]


@contextmanager
def receiver(fail_first: int = 0) -> Iterator[Receiver]:
    state = Receiver(fail_first=fail_first)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            with lock:
                code = 500 if len(state.requests) < state.fail_first else 204
                state.requests.append(Received(dict(self.headers.items()), body, code))
            self.send_response(code)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/qonys"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def closed_port_url() -> str:
    """A loopback URL nobody listens on: a receiver that is down for good."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/down"


async def pending(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with transaction(sessions) as session:
        return (await session.execute(select(func.count()).select_from(WebhookDelivery)
                                      .where(WebhookDelivery.status == WebhookDeliveryStatus.PENDING))).scalar_one()


async def reset_job_queue(settings: Settings) -> None:
    """procrastinate's schema with no job left by an earlier test (PostgreSQL)."""
    import psycopg

    await jobs.ensure_schema(settings)
    async with await psycopg.AsyncConnection.connect(jobs.conninfo(settings), autocommit=True) as conn:
        await conn.execute("DELETE FROM procrastinate_periodic_defers; DELETE FROM procrastinate_events; "
                           "DELETE FROM procrastinate_jobs; DELETE FROM procrastinate_workers")


async def send_all(settings: Settings, sessions: async_sessionmaker[AsyncSession], committed: list[int],
                   *, timeout: float = 60) -> None:
    """Send until nothing is pending, the way this database does it: on
    PostgreSQL the jobs deferred after commit (``committed``) are run by
    ``qonys worker``'s procrastinate worker (each failed try defers the next one);
    on SQLite ``qonys worker --inline``'s sender runs."""
    async def run() -> None:
        if BACKEND != "postgres":
            await worker.run_inline(sessions, settings, until_idle=True, poll=0.02)
            return
        await worker.defer_deliveries(settings, committed)
        while await pending(sessions):
            await jobs.run_worker(settings, wait=False, install_signal_handlers=False)
            await asyncio.sleep(0.02)

    try:
        await asyncio.wait_for(run(), timeout)
    finally:
        await worker.close()


async def attempts_of(sessions: async_sessionmaker[AsyncSession], delivery_id: int) -> list[WebhookAttempt]:
    async with transaction(sessions) as session:
        return list((await session.execute(select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
                                           .order_by(WebhookAttempt.id))).scalars())


async def settle_after_commit() -> None:
    """Wait for the background deferrals that mutations started after commit."""
    await asyncio.gather(*list(worker._background))


async def webhook_jobs(settings: Settings) -> dict[str, int]:
    """``{status: jobs}`` of the webhook queue (PostgreSQL)."""
    import psycopg

    async with await psycopg.AsyncConnection.connect(jobs.conninfo(settings)) as conn:
        cur = await conn.execute("SELECT status::text, count(*) FROM procrastinate_jobs WHERE task_name = %s "
                                 "GROUP BY status", (worker.TASK,))
        return {status: int(n) for status, n in await cur.fetchall()}
