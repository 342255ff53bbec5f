"""Re-scoring every scored, undecided application under the model in force
(SPEC §3, §10: ``qonys rescore``; ARCHITECTURE "Scale": run as jobs).

The unit of work is a *batch*: up to ``limit`` applications, read, scored and
written (score, status and one ``application.rescore`` audit event each) in ONE
transaction. A process killed halfway therefore leaves every application either
wholly re-scored or untouched.

Re-running is idempotent: an application whose current score already comes from
the model is not a candidate, so a rerun skips what an earlier (possibly killed)
run committed and finishes the rest. A batch is a few statements whatever its
size, with plain rows and no ORM objects: the candidates locked, the facts
(``services.facts.gather``), the current scores, then set-based writes of the
scores, the statuses and the audit events (``services.scoring_models.store_scores``
says which); scoring is memoised per model
(``services.scoring.Evaluator``). On PostgreSQL two batches run at once, on two
connections and over disjoint id ranges, so Python's work overlaps the
database's.

Only the model in force (``model_in_force`` on the scoring date) re-scores: a
draft is what ``scoringSimulation`` is for, and a superseded model must not
overwrite scores that its successor would give. A run that finds its model
superseded halfway stops with ``INVALID_STATE`` (the newer model's own
re-scoring takes over)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.text import t
from models import Application, Score, ScoringModel
from models.base import today_almaty
from core.db import transaction
from models.enums import ScoringModelStatus
from services.errors import ErrorCode, ServiceError, forbidden, invalid_state
from services.scoring_models import SCORED_UNDECIDED, evaluate_batch, model_in_force, store_scores
from services.viewer import Viewer

RESCORABLE_STATUSES = SCORED_UNDECIDED  # with a Score row
RESCORE_ACTION = "application.rescore"

Progress = Callable[[int, int], None]
"""``progress(done, total)``: called once before the first batch and after each committed batch."""


def _candidates(model_id: int, *columns: object):  # type: ignore[no-untyped-def]
    """Scored, undecided applications whose current score is not from ``model_id``."""
    return (
        select(*columns)
        .select_from(Application)
        .join(Score, Score.application_id == Application.id)
        .where(Application.status.in_(RESCORABLE_STATUSES), Score.scoring_model_id != model_id)
    )


def _range(stmt, after_id: int, until_id: int | None):  # type: ignore[no-untyped-def]
    # The bounds on both sides of the join: PostgreSQL does not carry a range
    # across an equality, and without them a merge join reads the scores from
    # the first one for every batch.
    stmt = stmt.where(Application.id > after_id, Score.application_id > after_id)
    return stmt if until_id is None else stmt.where(Application.id <= until_id, Score.application_id <= until_id)


async def count_candidates(session: AsyncSession, model_id: int, *, after_id: int = 0,
                           until_id: int | None = None) -> int:
    stmt = _range(_candidates(model_id, func.count()), after_id, until_id)
    return int((await session.execute(stmt)).scalar_one())


async def model_by_version(session: AsyncSession, version: str) -> ScoringModel:
    model = (await session.execute(
        select(ScoringModel).where(ScoringModel.version == version.strip()))).scalar_one_or_none()
    if model is None:
        raise ServiceError.one(ErrorCode.NOT_FOUND, t("no scoring model has version {version}", version=repr(version.strip())),
                               ["modelVersion"])
    return model


async def model_for_rescore(session: AsyncSession, model_id: int | None, on: dt.date) -> ScoringModel:
    """The model to re-score under: the one in force on ``on``. An explicit
    ``model_id`` must name that model (it guards against re-scoring under a model
    that a later publication has replaced)."""
    in_force = await model_in_force(session, on)
    if model_id is None:
        if in_force is None:
            raise invalid_state(t("no published scoring model is in force on {today}; publish one first", today=on))
        return in_force
    model = await session.get(ScoringModel, model_id)
    if model is None:
        raise ServiceError.one(ErrorCode.NOT_FOUND, t("scoring model {id} does not exist", id=model_id), ["modelId"])
    if model.status != ScoringModelStatus.PUBLISHED:
        raise invalid_state(
            t("scoring model {version} is {status}; only the published model in force re-scores applications (use "
              "scoringSimulation to see what a draft would do)", version=model.version, status=model.status.value),
            "modelId")
    if in_force is None or in_force.id != model.id:
        now = (t("{version} is", version=in_force.version) if in_force is not None else t("no model is"))
        if model.effective_from > on:
            why = t("it takes effect on {date}", date=model.effective_from)
        else:
            why = t("a later published model replaces it")
        raise invalid_state(
            t("scoring model {version} is not in force on {today} ({why}; {now} in force)", version=model.version,
              today=on, why=why, now=now), "modelId")
    return model


async def rescore_batch(
    session: AsyncSession, viewer: Viewer, *, model_id: int, after_id: int, limit: int, on: dt.date,
    until_id: int | None = None,
) -> tuple[int, int | None]:
    """Re-score, in the caller's transaction, up to ``limit`` scored, undecided
    applications with ``after_id < id [<= until_id]`` whose score is not already
    from ``model_id``. Returns ``(how many, the last id)``, or ``(0, None)`` when
    none is left in the range.

    The rows are locked (``FOR UPDATE`` on PostgreSQL) so a decision taken at the
    same moment waits for the batch, and a concurrent re-scorer that already
    re-scored a row under the model re-checks the condition and skips it."""
    if not viewer.is_admin:
        raise forbidden(t("only administrators and system jobs may re-score applications"))
    if limit < 1:
        raise ServiceError.one(ErrorCode.INVALID_INPUT, t("the batch size must be at least 1"), ["limit"])
    model = await session.get(ScoringModel, model_id)
    if model is None:
        raise ServiceError.one(ErrorCode.NOT_FOUND, t("scoring model {id} does not exist", id=model_id), ["modelId"])
    stmt = (
        _range(_candidates(model_id, Application.id, Application.status), after_id, until_id)
        .order_by(Application.id)
        .limit(limit)
        .with_for_update()
    )
    apps = (await session.execute(stmt)).all()  # plain rows: (id, status)
    if not apps:
        return 0, None
    results = await evaluate_batch(session, [app.id for app in apps], model, on)
    await store_scores(session, viewer, apps, model, results, action=RESCORE_ACTION)
    return len(apps), apps[-1].id


def _count_metric(n: int) -> None:
    try:
        from core.metrics import RESCORED
    except Exception:  # noqa: BLE001 - metrics are best effort; never fail a re-score over them
        return
    RESCORED.inc(n)


async def batch_bounds(session: AsyncSession, model_id: int, batch_size: int, *, after_id: int = 0,
                       until_id: int | None = None) -> list[int]:
    """The id of every ``batch_size``-th candidate in ``(after_id, until_id]``, in
    order: the upper ends of ranges that hold one batch each (one windowed
    statement; only the bounds come back)."""
    numbered = _range(
        _candidates(model_id, Application.id, func.row_number().over(order_by=Application.id).label("n")),
        after_id, until_id,
    ).subquery()
    stmt = select(numbered.c.id).where(numbered.c.n % batch_size == 0).order_by(numbered.c.id)
    return list((await session.execute(stmt)).scalars())


async def rescore_all(
    sessions: async_sessionmaker[AsyncSession],
    viewer: Viewer,
    *,
    model_id: int | None,
    batch_size: int = 500,
    progress: Progress | None = None,
    after_id: int = 0,
    until_id: int | None = None,
    pause: float = 0.0,
    on: dt.date | None = None,
    concurrency: int | None = None,
) -> int:
    """Re-score every scored, undecided application (with ``after_id < id <=
    until_id`` when given) under the model in force (``model_id`` must be it when
    given), one committed transaction per batch. Returns how many were re-scored.

    ``concurrency`` batches run at once, each on its own connection and in its own
    transaction (default: 2 on PostgreSQL, so that scoring in Python overlaps the
    database's work; 1 on SQLite, which has one writer). They take disjoint id
    ranges of one batch each, computed up front from the candidates (the last
    range is open-ended, so candidates that appear meanwhile beyond the last are
    still found). ``progress`` sees the committed total grow; a run whose model is
    superseded stops every worker at its next batch and then raises.

    ``pause`` seconds are slept between batches (by each worker), to go easy on a
    busy database."""
    if not viewer.is_admin:
        raise forbidden(t("only administrators and system jobs may re-score applications"))
    if batch_size < 1:
        raise ServiceError.one(ErrorCode.INVALID_INPUT, t("the batch size must be at least 1"), ["batchSize"])
    if concurrency is not None and concurrency < 1:
        raise ServiceError.one(ErrorCode.INVALID_INPUT, t("the concurrency must be at least 1"), ["concurrency"])
    on = on or today_almaty()
    async with transaction(sessions) as session:
        model = await model_for_rescore(session, model_id, on)
        model_id, version = model.id, model.version
        workers = concurrency or (2 if session.get_bind().dialect.name == "postgresql" else 1)
        total = await count_candidates(session, model_id, after_id=after_id, until_id=until_id) if progress else 0
        bounds = await batch_bounds(session, model_id, batch_size, after_id=after_id,
                                    until_id=until_id) if workers > 1 else []
    if progress:
        progress(0, total)
    edges = [after_id, *bounds]
    ranges = iter([*zip(edges, bounds), (edges[-1], until_id)])  # shared by the workers: each range once
    done = 0
    replaced_by: str | None = None
    failed = False

    async def work() -> None:
        nonlocal done, replaced_by, failed
        try:
            for low, high in ranges:
                cursor = low
                while replaced_by is None and not failed:
                    async with transaction(sessions) as session:
                        in_force = await model_in_force(session, on)
                        if in_force is None or in_force.id != model_id:
                            replaced_by = in_force.version if in_force is not None else "no model"
                            return
                        count, last = await rescore_batch(session, viewer, model_id=model_id, after_id=cursor,
                                                          limit=batch_size, on=on, until_id=high)
                    if last is None:
                        break
                    _count_metric(count)
                    done += count
                    cursor = last
                    if progress:
                        progress(done, max(total, done))
                    if pause > 0:
                        await asyncio.sleep(pause)
                    if high is not None and last >= high:
                        break  # the batch ended at the range's last candidate: nothing is left in it
                if replaced_by is not None or failed:
                    return
        except BaseException:
            failed = True  # the other workers stop after their current batch
            raise

    outcomes = await asyncio.gather(*(work() for _ in range(workers)), return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    if replaced_by is not None:
        raise invalid_state(
            f"scoring model {version} was replaced by {replaced_by} while re-scoring; {done} application(s) "
            f"were re-scored under {version}, and the newer model's re-scoring takes over")
    return done
