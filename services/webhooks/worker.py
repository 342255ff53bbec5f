"""Who sends the deliveries, and when.

- **PostgreSQL**: each delivery is a procrastinate job ``qonys.deliver_webhook``
  (queue ``webhooks``), deferred right after the transaction that wrote it has
  committed (``after_commit``: in the background, never delaying or failing the
  mutation). A failed try defers the next one at its backoff time. The job's
  queueing lock and lock (``webhook:<id>``) keep one job per delivery waiting
  and running. Once a minute ``qonys.sweep_webhooks`` defers a job for every
  PENDING delivery that is due and has none (a process that died before
  deferring, a database that was briefly unreachable): the outbox is the truth.
- **SQLite** (no procrastinate): deliveries wait in the outbox until
  ``qonys worker --inline`` sends them (``run_inline``); that command works on
  PostgreSQL too, without procrastinate."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

import procrastinate
from procrastinate import exceptions as pq_exceptions
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import transaction
from core.settings import Settings, get_settings
from models.base import utcnow
from models.enums import WebhookDeliveryStatus
from services import jobs
from services.webhooks import delivery as sender

log = logging.getLogger("qonys.webhooks")

QUEUE = "webhooks"
TASK = "qonys.deliver_webhook"


def _lock(delivery_id: int) -> str:
    return f"webhook:{delivery_id}"


async def _defer(job_app: procrastinate.App, delivery_id: int, at: dt.datetime | None = None) -> bool:
    """Defer the job of one delivery (at ``at``); False when one is already waiting."""
    options: dict[str, Any] = {"queueing_lock": _lock(delivery_id), "lock": _lock(delivery_id), "queue": QUEUE}
    if at is not None:
        options["schedule_at"] = at
    try:
        await job_app.configure_task(TASK, **options).defer_async(delivery_id=delivery_id)
    except pq_exceptions.AlreadyEnqueued:
        return False
    return True


def _settings_of(ctx: jobs.WorkerContext) -> Settings:
    return ctx.settings or get_settings()


@jobs.app.task(name=TASK, queue=QUEUE, pass_context=True)
async def deliver_webhook(context: procrastinate.JobContext, delivery_id: int) -> str:
    """One try of a delivery; after a failed one that leaves it PENDING, the next
    try is deferred for its backoff time."""
    async with jobs._worker_context(context) as ctx:
        row = await sender.attempt_delivery(ctx.sessions, _settings_of(ctx), delivery_id)
    if row is None:
        return "not due"
    if row.status == WebhookDeliveryStatus.PENDING:
        await _defer(context.app, delivery_id, row.next_attempt_at)
    log.info("webhook delivery %s: %s after %s tries", delivery_id, row.status.value, row.attempts)
    return row.status.value


@jobs.app.periodic(cron="* * * * *", periodic_id="webhooks")
@jobs.app.task(name="qonys.sweep_webhooks", queue=QUEUE, queueing_lock="qonys.sweep_webhooks", pass_context=True)
async def sweep_webhooks(context: procrastinate.JobContext, timestamp: int) -> int:
    """Once a minute: a job for every due PENDING delivery that has none waiting."""
    async with jobs._worker_context(context) as ctx:
        return await sweep(context.app, ctx.sessions)


async def sweep(job_app: procrastinate.App, sessions: async_sessionmaker[AsyncSession]) -> int:
    async with transaction(sessions) as session:
        ids = await sender.due(session, limit=1000)
    deferred = 0
    for delivery_id in ids:
        deferred += await _defer(job_app, delivery_id)
    return deferred


# ----------------------------------------------------------------------------- after commit (PostgreSQL)

_deferrers: dict[tuple[str, int], procrastinate.App] = {}
_opening: dict[int, asyncio.Lock] = {}
_background: set[asyncio.Task[Any]] = set()


async def _deferrer(settings: Settings) -> procrastinate.App:
    """This process's job app for deferring (one small pool per database and event loop)."""
    key = (jobs.conninfo(settings), id(asyncio.get_running_loop()))
    async with _opening.setdefault(key[1], asyncio.Lock()):
        job_app = _deferrers.get(key)
        if job_app is None:
            await jobs.ensure_schema(settings)
            connector = procrastinate.PsycopgConnector(conninfo=key[0], min_size=1, max_size=2)
            job_app = procrastinate.App(connector=connector)
            await job_app.open_async()
            _deferrers[key] = job_app
    return job_app


async def defer_deliveries(settings: Settings, ids: list[int]) -> int:
    """Defer a job for each delivery (PostgreSQL); how many were deferred."""
    if settings.is_sqlite or not ids:
        return 0
    job_app = await _deferrer(settings)
    return sum([await _defer(job_app, delivery_id) for delivery_id in ids])


async def _defer_quietly(settings: Settings, ids: list[int]) -> None:
    try:
        await defer_deliveries(settings, ids)
    except Exception:  # noqa: BLE001 - the deliveries wait in the outbox; the sweep defers them
        log.warning("webhook deliveries %s not deferred; the next sweep will", ids, exc_info=True)


def after_commit(settings: Settings, ids: list[int]) -> asyncio.Task[None] | None:
    """Hand deliveries just committed to the sender, in the background: on
    PostgreSQL their jobs are deferred by a task of this event loop (returned, for
    tests to await); on SQLite they wait for ``qonys worker --inline``. Never
    raises, never waits."""
    if settings.is_sqlite or not ids:
        return None
    task = asyncio.get_running_loop().create_task(_defer_quietly(settings, list(ids)))
    _background.add(task)
    task.add_done_callback(_background.discard)
    return task


async def close() -> None:
    """Close this process's deferring pools (at shutdown)."""
    loop = id(asyncio.get_running_loop())
    for key in [k for k in _deferrers if k[1] == loop]:
        await _deferrers.pop(key).close_async()


# ----------------------------------------------------------------------------- inline (SQLite)


async def run_inline(sessions: async_sessionmaker[AsyncSession], settings: Settings, *, until_idle: bool = False,
                     poll: float = 1.0) -> int:
    """Send the due deliveries in this process, one after the other, until stopped
    (``until_idle``: until no delivery is PENDING any more, waiting for the
    retries' times). Returns how many tries were made."""
    tries = 0
    while True:
        async with transaction(sessions) as session:
            ids = await sender.due(session)
            upcoming = None if ids else await sender.next_due_at(session)
        for delivery_id in ids:
            tries += await sender.attempt_delivery(sessions, settings, delivery_id) is not None
        if ids:
            continue
        if upcoming is None and until_idle:
            return tries
        wait = poll if upcoming is None else (upcoming - utcnow()).total_seconds()
        await asyncio.sleep(min(poll, max(0.01, wait)))
