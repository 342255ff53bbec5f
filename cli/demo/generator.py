"""Synthetic demo data (``qonys demo-data``): realistic applicants and
applications in every state and on every route, consistent with the rules the
services enforce.

What is generated, per application:

- an applicant with a name that fits the citizenship (Faker where it has the
  locale, small hand-written lists elsewhere; ethnic Kazakhs get Kazakh names),
  a unique document number, about half with a valid IIN, aged 18–70;
- the application (``RP-<year>-NNNNNN`` numbers taken from the ``RP-<year>``
  counter, so the API never hands out one of them again), submitted during the
  seed year up to now, due 29 days later;
- past ``SUBMITTED``: the language test (unique certificate number), the
  questionnaire (with the family members it lists for most families larger
  than one: 1 + members = family size), one check per active check type (all completed before
  scoring), the interview with its outcome and the score, computed by the real
  engine (:class:`services.scoring.Evaluator`) on facts built by
  :func:`services.facts.build`, as :func:`services.facts.gather` builds them, under the published model in force
  on the scoring date (the score's ``computed_at`` date in Almaty);
- decisions: KANDAS applications are approved by monthly selection rounds
  (ranked like :func:`services.quotas.plan_round`, seats = family size, never
  past the quota), LABOUR approvals take one seat of their LABOUR quota,
  GENERAL ones need none; some are rejected or withdrawn;
- approved KANDAS families get a social contract (``SC-<year>-NNNNNN``) with
  support payments within each measure's cap, ``total_support`` equal to the
  ledger, and a few terminations with the refund the rule gives;
- approved KANDAS families hold their kandas status (``KS-<year>-NNNNNN``; a few extended or ended), and
  some FAILED and REJECTED decisions a review (``RV-<year>-NNNNNN``: open,
  overdue, upheld or overturned), by :mod:`~cli.demo.kandas`.
- a sample of the contracts gets residence events and breach cases in every
  state, through the services (:mod:`~cli.demo.residence`).
- employers of every size with work permits in every state and violations
  (:mod:`~cli.demo.labour`, through the services).
- every move of every application audited as the service taking it audits it
  (``application.submit``, ``.score``, ``.decide``, ``.withdraw``, ``.approve``
  by a selection round, ``.review_overturn``), in order, so that
  ``qonys check-integrity`` finds each status reached by an audited event.

Speed (100,000 applications are about a million rows): batches are built in
Python, in a thread, while the previous ones are written (the cyclic garbage
collector paused meanwhile: the batches hold no cycles); each batch is one
transaction. On PostgreSQL two writers run at once and use ``COPY`` (through
asyncpg, on the session's own connection and transaction); on SQLite one writer
uses Core ``INSERT`` executemany. Primary keys are reserved per batch
(``nextval`` on PostgreSQL, so the sequences stay right and concurrent writers
never collide; ``max(id)`` under SQLite's write lock), human-readable numbers by
advancing their counter rows. Scores come from a memoised use of the engine
(see :class:`cli.demo.context.Engine`). Running it again adds as many again; an interrupted run
keeps the batches it committed.

The rooms: :mod:`~cli.demo.common` (the demo year, a batch, draws and dates),
:mod:`~cli.demo.context` (what is read first), :mod:`~cli.demo.people`,
:mod:`~cli.demo.applications`, :mod:`~cli.demo.rounds`,
:mod:`~cli.demo.contracts`, :mod:`~cli.demo.writer`; this module builds the
batches and runs the producer and the writers.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import random
from collections import Counter, defaultdict

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cli.demo import writer
from cli.demo.applications import Applications
from cli.demo.common import DEMO_YEAR, TABLE_ORDER, Batch, Progress, Window
from cli.demo.context import Context, load_context
from cli.demo.contracts import sign_contracts
from cli.demo.kandas import ask_reviews, grant_statuses
from cli.demo.labour import LABOUR_TABLES, make_labour
from cli.demo.people import People
from cli.demo.residence import add_residence
from cli.demo.rounds import close_decided, run_rounds
from core.db import transaction
from models.base import utcnow
from services import audit
from services.errors import invalid, invalid_state
from services.numbers import counter_name
from services.viewer import SYSTEM

__all__ = ["generate"]

WRITERS = 2  # concurrent writing transactions on PostgreSQL


class Generator:
    """Builds the batches (pure Python, one at a time)."""

    def __init__(self, ctx: Context, seed: int, now: dt.datetime) -> None:
        self.ctx = ctx
        self.rng = random.Random(f"qonys-demo:{seed}:{ctx.number_floor.get(counter_name('RP', DEMO_YEAR), 0)}")
        self.window = Window.until(now)
        self.applications = Applications(ctx, self.rng, People(ctx, self.rng, seed), self.window)

    def batch(self, n: int) -> Batch:
        b = Batch()
        round_candidates: dict[tuple[int, dt.datetime], list[tuple[int, int, dt.datetime, int]]] = defaultdict(list)
        for _ in range(n):
            self.applications.application(b, round_candidates)
        approvals = run_rounds(self.ctx, b, round_candidates)
        close_decided(b, approvals)
        sign_contracts(self.ctx, self.rng, self.window, b)
        grant_statuses(self.ctx, self.rng, self.window, b)
        ask_reviews(self.ctx, self.rng, self.window, b)
        return b


async def generate(
    sessions: async_sessionmaker[AsyncSession],
    *,
    applications: int,
    seed: int = 1,
    batch_size: int = 5000,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Add ``applications`` synthetic applications (with applicants, stages,
    scores, decisions, quota seats, contracts and payments); returns the rows
    written per table. Each batch is one transaction."""
    if isinstance(applications, bool) or not isinstance(applications, int) or applications < 0:
        raise invalid("the number of applications must be a whole number, 0 or more", "applications")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not 1 <= batch_size <= 100_000:
        raise invalid("the batch size must be from 1 to 100000", "batchSize")
    async with transaction(sessions) as session:
        ctx = await load_context(session)
    if not ctx.regions or not ctx.check_types:
        raise invalid_state("the reference data is missing; run `qonys seed` first")
    if not ctx.models:
        raise invalid_state("no scoring model is published; run `qonys seed` first")
    generator = Generator(ctx, seed, utcnow())
    counts: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    sequences: dict[str, str] = {}
    sizes = [min(batch_size, applications - start) for start in range(0, applications, batch_size)]
    done = 0
    if progress:
        progress(0, applications)
    # One producer generates the batches (in a thread, so that Python works while
    # the database does) and numbers them; on PostgreSQL two writers insert them
    # concurrently, each batch in its own transaction. SQLite has one writer, and
    # numbers each batch inside its write transaction.
    postgres = ctx.dialect == "postgresql"
    writers = min(WRITERS, len(sizes)) if postgres else 1
    queue: asyncio.Queue[Batch | None] = asyncio.Queue(maxsize=writers)

    async def produce() -> None:
        for n in sizes:
            batch = await asyncio.to_thread(generator.batch, n)
            if postgres:
                async with transaction(sessions) as session:
                    await writer.number(session, ctx, batch)
            await queue.put(batch)
        for _ in range(writers):
            await queue.put(None)

    async def write() -> None:
        nonlocal done
        while (batch := await queue.get()) is not None:
            async with transaction(sessions) as session:
                if not postgres:
                    await writer.number(session, ctx, batch)
                written = await writer.write(session, ctx, batch, sequences)
            counts.update(written)
            statuses.update(batch.statuses)
            done += len(batch.rows["application"])
            if progress:
                progress(done, applications)

    # The batches are big trees of dicts, tuples and strings without a cycle: the
    # cyclic garbage collector would walk them again and again for nothing (about a
    # second of 30,000 applications), so it waits until they are written.
    collecting = gc.isenabled()
    gc.disable()
    try:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(produce())
            for _ in range(writers):
                tasks.create_task(write())
    except BaseExceptionGroup as group:  # the first failure, as a plain exception (e.g. a ServiceError)
        first = group.exceptions[0]
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from None
    finally:
        if collecting:
            gc.enable()
    if applications:  # employers, permits and violations (SPEC §15), through the services, in one transaction
        async with transaction(sessions) as session:
            counts.update(await make_labour(session, employers_count=max(4, min(40, applications // 250)), seed=seed))
    counts.update(await add_residence(sessions, generator.rng, generator.window, str(seed)))
    async with transaction(sessions) as session:
        await audit.record(session, SYSTEM, "demo_data.generate", "demo_data", None, {
            "applications": applications, "seed": seed, "batchSize": batch_size,
            "rows": dict(sorted(counts.items())), "statuses": dict(sorted((k, v) for k, v in statuses.items() if v)),
        })
    return {t: counts.get(t, 0) for t in (*TABLE_ORDER, *LABOUR_TABLES)}
