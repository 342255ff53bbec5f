"""Background jobs on procrastinate, a job queue that lives in the same PostgreSQL
database (ARCHITECTURE "Scale"); on SQLite the same work runs inline.

Re-scoring after a model change is split into *chunks*: the id range is cut at
fixed multiples of ``CHUNK_IDS`` (chunk ``k`` covers ``k*N < id <= (k+1)*N``), and
one ``qonys.rescore_chunk`` job is deferred for each chunk that holds at least one
application to re-score. Because the cuts are fixed:

- enqueueing twice is harmless: each job carries the queueing lock
  ``rescore:<model>:<k>``, so a chunk already waiting is not queued again;
- two workers never work on one chunk at once: each job carries the lock
  ``rescore-chunk:<k>`` (the same for every model, so a job of a model that has
  since been replaced runs after, finds its model superseded and stops);
- a job is resumable: it re-scores its range batch by batch, each batch one
  committed transaction (``services.rescore``), and a rerun skips what is
  already scored under the model. A worker killed halfway leaves its job in
  ``doing``; the next ``qonys worker`` to start, and every worker once a minute,
  puts such stalled jobs back in the queue.

Procrastinate's tables live in their own PostgreSQL schema, ``procrastinate``,
outside Alembic's view (``alembic check`` looks at ``public`` only). They are
created on first use by ``ensure_schema`` (``qonys worker``, ``qonys rescore``,
``after_publish``), under an advisory lock, so several machines starting at once
are safe. procrastinate is pinned (``~=3.10``): upgrading it to a release with
schema changes means applying its migrations (``procrastinate/sql/migrations``)
to that schema.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

import procrastinate
from procrastinate import exceptions as pq_exceptions
from procrastinate.schema import SchemaManager
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.settings import Settings, get_settings
from core.text import t
from models import Application, ScoringModel
from models.base import ALMATY, today_almaty
from core.db import create_engine, session_factory, transaction
from services import rescore
from services.errors import ServiceError, not_found
from services.scoring_models import model_in_force, publish_scoring_model
from services.viewer import SYSTEM, Viewer

log = logging.getLogger("qonys.jobs")

SCHEMA = "procrastinate"
CHUNK_IDS = 1000
BATCH_SIZE = 500
RESCORE_QUEUE = "rescore"
_SCHEMA_LOCK_KEY = 0x716F6E7973  # "qonys": one advisory lock id for creating the schema

# The connector is replaced by ``open_app(settings)``; this default one is never opened.
# The webhooks' tasks (``services.webhooks.worker``) are registered on the same app.
app = procrastinate.App(connector=procrastinate.PsycopgConnector(),
                        import_paths=[__name__, "services.webhooks.worker"])


# ----------------------------------------------------------------------------- connection


def conninfo(settings: Settings, application_name: str = "qonys-jobs") -> str:
    """A libpq connection string for the ``postgresql+asyncpg://`` database URL,
    with procrastinate's schema first on the search path: PostgreSQL itself
    (``session_database_url``), never PgBouncer, which neither passes the
    search path nor keeps a LISTEN."""
    from psycopg.conninfo import make_conninfo

    url = make_url(settings.session_database_url)
    if settings.is_sqlite:
        raise ValueError("procrastinate needs PostgreSQL; the configured database is SQLite")
    params: dict[str, Any] = {
        "host": url.host,
        "port": url.port,
        "dbname": url.database,
        "user": url.username,
        "password": url.password,
        "connect_timeout": max(1, math.ceil(settings.connect_timeout_s)),
        "application_name": application_name,
        "options": f"-c search_path={SCHEMA}",
    }
    query = dict(url.query)
    # asyncpg spells TLS as ``ssl=``; libpq as ``sslmode=``.
    sslmode = query.pop("sslmode", None) or query.pop("ssl", None)
    if isinstance(sslmode, str) and sslmode:
        params["sslmode"] = {"true": "require", "false": "disable"}.get(sslmode.lower(), sslmode)
    for key in ("host", "port", "sslrootcert", "sslcert", "sslkey", "target_session_attrs", "passfile"):
        value = query.get(key)
        if isinstance(value, str) and value and params.get(key) is None:
            params[key] = value
    return make_conninfo(**{k: v for k, v in params.items() if v is not None})


async def ensure_schema(settings: Settings) -> bool:
    """Create procrastinate's schema when it is missing; ``True`` when it was created."""
    import psycopg

    async with await psycopg.AsyncConnection.connect(conninfo(settings, "qonys-schema")) as conn:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK_KEY,))
            cur = await conn.execute("SELECT to_regclass(%s)", (f"{SCHEMA}.procrastinate_jobs",))
            row = await cur.fetchone()
            if row is not None and row[0] is not None:
                return False
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"')
            # No parameters: psycopg sends the script as is (several statements, literal %).
            await conn.execute(SchemaManager.get_schema())
    log.info("created procrastinate's job tables in schema %s", SCHEMA)
    return True


@asynccontextmanager
async def open_app(settings: Settings, *, max_size: int = 2) -> AsyncIterator[procrastinate.App]:
    """The job app connected to the configured database, for deferring or working."""
    connector = procrastinate.PsycopgConnector(conninfo=conninfo(settings), min_size=1, max_size=max(2, max_size))
    with app.replace_connector(connector):
        async with app.open_async():
            yield app


# ----------------------------------------------------------------------------- tasks


@dataclass(frozen=True)
class WorkerContext:
    """What a worker hands its jobs (``additional_context["qonys"]``)."""

    sessions: async_sessionmaker[AsyncSession]
    settings: Settings | None = None
    batch_size: int = BATCH_SIZE
    chunk_ids: int = CHUNK_IDS
    pause: float = 0.0


@asynccontextmanager
async def _worker_context(context: procrastinate.JobContext) -> AsyncIterator[WorkerContext]:
    ctx = context.additional_context.get("qonys")
    if isinstance(ctx, WorkerContext):
        yield ctx
        return
    engine = create_engine(get_settings())  # a worker started by other means than run_worker
    try:
        yield WorkerContext(sessions=session_factory(engine), settings=get_settings())
    finally:
        await engine.dispose()


@app.task(name="qonys.rescore_chunk", queue=RESCORE_QUEUE, pass_context=True,
          retry=procrastinate.RetryStrategy(max_attempts=5, exponential_wait=3))
async def rescore_chunk(context: procrastinate.JobContext, model_id: int, after_id: int, until_id: int) -> int:
    """Re-score the applications with ``after_id < id <= until_id`` under ``model_id``."""
    async with _worker_context(context) as ctx:
        try:
            n = await rescore.rescore_all(ctx.sessions, SYSTEM, model_id=model_id, after_id=after_id,
                                          until_id=until_id, batch_size=ctx.batch_size, pause=ctx.pause)
        except ServiceError as exc:  # superseded or withdrawn model: nothing to retry
            log.info("rescore chunk (%s, %s] under model %s stopped: %s", after_id, until_id, model_id, exc)
            return 0
    log.info("rescore chunk (%s, %s] under model %s: %s application(s) re-scored", after_id, until_id, model_id, n)
    return n


@app.task(name="qonys.plan_rescore", queue=RESCORE_QUEUE, pass_context=True,
          retry=procrastinate.RetryStrategy(max_attempts=5, exponential_wait=3))
async def plan_rescore(context: procrastinate.JobContext, model_id: int | None = None) -> int:
    """Split the re-scoring under ``model_id`` (or the model in force) into chunk jobs."""
    async with _worker_context(context) as ctx:
        try:
            plan = await defer_chunks(context.app, ctx.sessions, model_id=model_id, chunk_ids=ctx.chunk_ids)
        except ServiceError as exc:
            log.info("re-scoring under model %s not planned: %s", model_id, exc)
            return 0
    log.info("re-scoring under %s: %s job(s) for %s application(s)", plan.version, plan.jobs, plan.applications)
    return plan.jobs


@app.periodic(cron="* * * * *", periodic_id="stalled")
@app.task(name="qonys.retry_stalled_jobs", queueing_lock="qonys.retry_stalled_jobs", pass_context=True)
async def retry_stalled_jobs_task(context: procrastinate.JobContext, timestamp: int) -> int:
    """Once a minute: put back in the queue the jobs of workers that died."""
    return await retry_stalled_jobs(context.app)


async def retry_stalled_jobs(job_app: procrastinate.App, *, seconds_since_heartbeat: float = 30) -> int:
    """Jobs left in ``doing`` by a worker that stopped sending heartbeats go back to ``todo``."""
    stalled = list(await job_app.job_manager.get_stalled_jobs(seconds_since_heartbeat=seconds_since_heartbeat))
    for job in stalled:
        log.warning("retrying job %s (%s), left unfinished by a worker that stopped", job.id, job.task_name)
        await job_app.job_manager.retry_job(job)
    return len(stalled)


# ----------------------------------------------------------------------------- deferring


@dataclass(frozen=True)
class ChunkPlan:
    version: str
    applications: int
    jobs: int
    already_queued: int


@dataclass(frozen=True)
class RescoreOutcome:
    """What ``enqueue_rescore`` / ``after_publish`` did: ``inline`` (re-scored
    now), ``queued`` (jobs deferred), ``scheduled`` (a job for the effective
    date) or ``skipped`` (nothing to do), with a one-line ``message``."""

    mode: str
    message: str
    version: str | None = None
    rescored: int = 0
    jobs: int = 0


async def defer_chunks(job_app: procrastinate.App, sessions: async_sessionmaker[AsyncSession], *,
                       model_id: int | None, chunk_ids: int = CHUNK_IDS) -> ChunkPlan:
    """Defer one ``rescore_chunk`` job per chunk of ids that holds work."""
    on = today_almaty()
    async with transaction(sessions) as session:
        model = await rescore.model_for_rescore(session, model_id, on)
        pending = await rescore.count_candidates(session, model.id)
        chunks = list((await session.execute(
            rescore._candidates(model.id, (Application.id - 1) // chunk_ids).distinct().order_by(None)
        )).scalars())
    deferred = queued = 0
    for k in sorted(int(c) for c in chunks):
        try:
            await rescore_chunk.configure(
                queueing_lock=f"rescore:{model.id}:{chunk_ids}:{k}", lock=f"rescore-chunk:{chunk_ids}:{k}",
            ).defer_async(model_id=model.id, after_id=k * chunk_ids, until_id=(k + 1) * chunk_ids)
            deferred += 1
        except pq_exceptions.AlreadyEnqueued:
            queued += 1
    return ChunkPlan(model.version, pending, deferred, queued)


async def _with_sessions(settings: Settings, sessions: async_sessionmaker[AsyncSession] | None, fn: Any) -> Any:
    if sessions is not None:
        return await fn(sessions)
    engine = create_engine(settings)
    try:
        return await fn(session_factory(engine))
    finally:
        await engine.dispose()


async def enqueue_rescore(
    settings: Settings, *, model_id: int | None = None, sessions: async_sessionmaker[AsyncSession] | None = None,
    chunk_ids: int = CHUNK_IDS, batch_size: int = BATCH_SIZE, progress: rescore.Progress | None = None,
) -> RescoreOutcome:
    """Re-score every scored, undecided application under the model in force:
    jobs on PostgreSQL, inline on SQLite. Raises ``ServiceError`` for an unknown
    model or one that is not in force."""
    if settings.is_sqlite:
        return await _with_sessions(settings, sessions, lambda s: _inline(s, model_id, batch_size, progress))
    await ensure_schema(settings)

    async def run(s: async_sessionmaker[AsyncSession]) -> RescoreOutcome:
        async with open_app(settings) as job_app:
            plan = await defer_chunks(job_app, s, model_id=model_id, chunk_ids=chunk_ids)
        if not plan.jobs and not plan.already_queued:
            message = t("every scored, undecided application is already scored under model {version}",
                        version=plan.version)
        elif plan.already_queued:
            message = t("queued {jobs} job(s) to re-score {applications} application(s) under model {version} "
                        "({waiting} more already waiting)", jobs=plan.jobs, applications=plan.applications,
                        version=plan.version, waiting=plan.already_queued)
        else:
            message = t("queued {jobs} job(s) to re-score {applications} application(s) under model {version}",
                        jobs=plan.jobs, applications=plan.applications, version=plan.version)
        return RescoreOutcome("queued", message, plan.version, 0, plan.jobs)

    return await _with_sessions(settings, sessions, run)


async def _inline(sessions: async_sessionmaker[AsyncSession], model_id: int | None, batch_size: int,
                  progress: rescore.Progress | None) -> RescoreOutcome:
    async with transaction(sessions) as session:
        version = (await rescore.model_for_rescore(session, model_id, today_almaty())).version
    n = await rescore.rescore_all(sessions, SYSTEM, model_id=model_id, batch_size=batch_size, progress=progress)
    return RescoreOutcome("inline", t("re-scored {count} application(s) under model {version}", count=n,
                                        version=version), version, n)


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0, 5), tzinfo=ALMATY)


async def after_publish(
    settings: Settings, model_id: int, *, sessions: async_sessionmaker[AsyncSession] | None = None,
) -> RescoreOutcome:
    """Call after the transaction that published ``model_id`` has committed.

    A model in force today re-scores every scored, undecided application: inline
    on SQLite, as jobs on PostgreSQL (one planning job, so the request returns at
    once). A model that takes effect later is scheduled for its effective date
    on PostgreSQL (on SQLite, ``qonys rescore`` on or after that date does it).
    A model that a later-effective one already replaces changes nothing.

    The publish has already succeeded, so this never raises ``ServiceError``
    (an inline run that finds its model replaced meanwhile reports ``skipped``);
    pass the API's session factory as ``sessions`` to reuse its engine."""
    on = today_almaty()

    async def state(s: async_sessionmaker[AsyncSession]) -> tuple[ScoringModel, ScoringModel | None]:
        async with transaction(s) as session:
            model = await session.get(ScoringModel, model_id)
            if model is None:
                raise not_found(t("scoring model"), "modelId")
            return model, await model_in_force(session, on)

    model, in_force = await _with_sessions(settings, sessions, state)
    future = model.effective_from > on
    if not future and (in_force is None or in_force.id != model.id):
        by = in_force.version if in_force is not None else t("another model")
        return RescoreOutcome("skipped", t("model {version} is not in force: {by} replaces it", version=model.version,
                                           by=by), model.version)
    if settings.is_sqlite:
        if future:
            return RescoreOutcome(
                "skipped", t("model {version} takes effect on {date}; run `qonys rescore` on or after that date",
                             version=model.version, date=model.effective_from), model.version)
        try:
            return await _with_sessions(settings, sessions, lambda s: _inline(s, model.id, BATCH_SIZE, None))
        except ServiceError as exc:  # e.g. replaced by a model published meanwhile: its own call re-scores
            return RescoreOutcome("skipped", str(exc), model.version)
    await ensure_schema(settings)
    async with open_app(settings):
        options: dict[str, Any] = {"queueing_lock": f"plan-rescore:{model.id}"}
        if future:
            options["schedule_at"] = _start_of(model.effective_from)
        try:
            await plan_rescore.configure(**options).defer_async(model_id=model.id)
        except pq_exceptions.AlreadyEnqueued:
            pass
    if future:
        return RescoreOutcome("scheduled", t("re-scoring under model {version} is scheduled for {date}",
                                             version=model.version, date=model.effective_from), model.version, 0, 1)
    return RescoreOutcome("queued", t("re-scoring under model {version} is queued", version=model.version),
                          model.version, 0, 1)


async def publish_and_rescore(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], viewer: Viewer, *, model_id: int,
    write: Callable[[], AbstractAsyncContextManager[AsyncSession]] | None = None,
) -> tuple[ScoringModel, RescoreOutcome]:
    """Publish the DRAFT model ``model_id`` in one transaction (``write()``; by
    default a new one on ``sessions``) and, once that has committed, start
    re-scoring under it (``after_publish``). A refused publish raises
    ``ServiceError`` and writes nothing. The publish stands whatever follows: a
    failure to start the re-scoring is logged and reported as the outcome
    ``failed``; ``qonys rescore`` runs it again."""
    async with (write or partial(transaction, sessions))() as session:
        model = await publish_scoring_model(session, viewer, model_id=model_id)
    try:
        outcome = await after_publish(settings, model.id, sessions=sessions)
    except Exception as exc:  # noqa: BLE001 - the model is published; re-scoring can be run again
        log.exception("re-scoring after publishing model %s did not start", model.version)
        return model, RescoreOutcome("failed", t("Re-scoring did not start ({error}); run `qonys rescore`.",
                                                 error=type(exc).__name__),
                                     model.version)
    log.info("model %s published: %s (%s)", model.version, outcome.message, outcome.mode)
    return model, outcome


# ----------------------------------------------------------------------------- working


async def run_worker(
    settings: Settings, *, concurrency: int = 1, wait: bool = True, batch_size: int = BATCH_SIZE,
    chunk_ids: int = CHUNK_IDS, pause: float = 0.0, install_signal_handlers: bool = True,
    name: str | None = None, stalled_after: float = 30,
) -> None:
    """Work on the queue until stopped (``wait=False``: until it is empty)."""
    if settings.is_sqlite:
        raise ValueError("workers need PostgreSQL")
    await ensure_schema(settings)
    engine = create_engine(settings)
    try:
        ctx = WorkerContext(sessions=session_factory(engine), settings=settings, batch_size=batch_size,
                            chunk_ids=chunk_ids, pause=pause)
        async with open_app(settings, max_size=concurrency + 2) as job_app:
            await retry_stalled_jobs(job_app, seconds_since_heartbeat=stalled_after)
            from services.webhooks.worker import sweep  # webhook deliveries that wait without a job

            await sweep(job_app, ctx.sessions)
            await job_app.run_worker_async(
                concurrency=concurrency, wait=wait, name=name, additional_context={"qonys": ctx},
                install_signal_handlers=install_signal_handlers, delete_jobs="successful",
                stalled_worker_timeout=stalled_after,
            )
    finally:
        await engine.dispose()


async def queue_counts(settings: Settings) -> dict[str, int]:
    """``{status: jobs}`` for the re-scoring jobs (for tests and operators)."""
    import psycopg

    async with await psycopg.AsyncConnection.connect(conninfo(settings)) as conn:
        cur = await conn.execute(
            "SELECT status::text, count(*) FROM procrastinate_jobs WHERE queue_name = %s GROUP BY status",
            (RESCORE_QUEUE,))
        return {status: int(n) for status, n in await cur.fetchall()}


__all__ = [
    "RescoreOutcome", "after_publish", "app", "conninfo", "enqueue_rescore", "ensure_schema", "open_app",
    "plan_rescore", "publish_and_rescore", "queue_counts", "rescore_chunk", "retry_stalled_jobs", "run_worker",
]
