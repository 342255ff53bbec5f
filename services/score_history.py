"""Every score an application has had (SPEC §17, ``Application.scoreHistory``).

``services.scoring_models.store_scores`` — the one writer of scores, for
``scoreApplication``, re-scoring after a publish and ``record_score`` — adds a
row per score it stores, with why it was computed (:func:`reason_for` unless
the caller says): the first score; new facts (the score had gone stale, or the
same model scored again on the facts on file); a new model; a review (the score
had gone stale and a review overturned a decision of the application after it
was computed: :func:`reviewed_since_scored`; or the caller says so).
``Application.scoreHistory`` reads the rows, newest first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models import DecisionReview, Score, ScoreHistory
from models.enums import ReviewOutcome, ScoreReason
from models.types import id_in


def reason_for(previous: Any | None, model_id: int, *, reviewed: bool = False) -> ScoreReason:
    """Why a score under ``model_id`` is computed, given the application's current
    score (a row with ``scoring_model_id`` and ``stale``; None before the first) and
    whether a review overturned a decision since it was computed (``reviewed``)."""
    if previous is None:
        return ScoreReason.FIRST_SCORE
    if previous.stale and reviewed:
        return ScoreReason.REVIEW
    if previous.stale or previous.scoring_model_id == model_id:
        return ScoreReason.NEW_FACTS
    return ScoreReason.NEW_MODEL


async def reviewed_since_scored(session: AsyncSession, application_ids: Sequence[int]) -> set[int]:
    """Those of ``application_ids`` whose current score was computed before a review
    of the application was decided OVERTURNED (which marks it stale, SPEC §14)."""
    if not application_ids:
        return set()
    r, s = DecisionReview.__table__, Score.__table__
    found = await session.execute(
        sa.select(r.c.application_id).join(s, s.c.application_id == r.c.application_id)
        .where(id_in(r.c.application_id, application_ids, session.get_bind().dialect.name),
               r.c.outcome == ReviewOutcome.OVERTURNED, r.c.decided_at > s.c.computed_at))
    return set(found.scalars())


async def append(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Add history rows (the columns of ``score_history`` by name) in one INSERT."""
    if rows:
        await session.execute(sa.insert(ScoreHistory.__table__), list(rows))


def row(application_id: int, model: Any, result: Any, computed_at: dt.datetime, reason: ScoreReason
        ) -> dict[str, Any]:
    return {"application_id": application_id, "scoring_model_id": model.id, "model_version": model.version,
            "total": result.total, "max_total": result.max_total, "pass_mark": result.pass_mark,
            "passed": result.passed, "computed_at": computed_at, "reason": reason}
