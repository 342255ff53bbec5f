"""Selection rounds on KANDAS quotas (SPEC §5):

- candidates are the ``PASSED`` KANDAS applications whose target region is the
  quota's region and that were submitted no later than the end of the quota's
  year (Almaty time): earlier applicants who were passed over stay eligible for
  later years, but a 2027 application never takes a 2026 seat;
- they are ranked by score total (highest first), then ``submitted_at``
  (earliest first), then id (lowest first);
- the ranking is walked once; an application takes as many seats as its
  questionnaire's ``family_size`` and is approved when they fit in the seats
  left; one that does not fit is passed over (it stays ``PASSED``) and the walk
  goes on with the next.

That walk (:func:`plan_round`) is the definition; a round computes the same
picks in a few statements without reading every candidate
(:func:`plan_selection`): the prefix of the ranking that fits is approved as a
set, and past it only the families that still fit in the seats left are read.
The round reports the candidates passed over *above* the last approved one (the
ones a reader asks about) and only counts those ranked below it.

Concurrency: a real round first takes the quota row ``FOR UPDATE`` (PostgreSQL;
SQLite's ``BEGIN IMMEDIATE`` already serialises writers), so rounds on one quota
run one after another and each sees the previous one's approvals. The seats are
then taken with ``take_seats`` and the applications approved with one
conditional ``UPDATE … WHERE status = 'PASSED'`` per family size; if either
finds the world changed under it (an application withdrawn meanwhile), the
writes are rolled back to a savepoint and the round is planned again. Capacity
is also a CHECK constraint (``used <= capacity``) and an application appears in
``selection_round_approval`` at most once (unique), so neither can be broken
even by code that skips the lock.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.text import t
from models import (
    Applicant,
    Application,
    Questionnaire,
    Quota,
    Region,
    Score,
    SelectionRound,
    SelectionRoundApproval,
    SelectionRoundPassedOver,
)
from models.base import ALMATY, utcnow
from models.enums import ApplicationStatus, DecisionOutcome, QuotaKind, Route
from services import audit, decisions, fairness, kandas
from services.errors import ErrorCode, ServiceError, forbidden, invalid, not_found
from services.quotas.seats import take_seats
from services.rules import age_on
from services.viewer import Viewer

_CHUNK = 1000  # ids per IN (...) list, well under every driver's parameter limit
_MAX_PLANS = 5
_TAIL_CHUNK = 1000  # candidates read per keyset query when walking past the prefix


@dataclass(frozen=True)
class Candidate:
    application_id: int
    score: int
    submitted_at: dt.datetime
    seats: int


@dataclass(frozen=True)
class Pick:
    rank: int  # 1-based position in the ranking
    candidate: Candidate


@dataclass
class RoundResult:
    quota_id: int
    dry_run: bool
    ran_at: dt.datetime
    round_id: int | None = None
    picks: list[Pick] = field(default_factory=list)  # in ranking order
    # The candidates ranked above the last approved one whose family did not fit
    # in the seats left when the walk reached them (those below it are only counted).
    passed_over: list[Candidate] = field(default_factory=list)
    capacity: int = 0
    used_before: int = 0
    candidates: int = 0  # every candidate ranked in the round
    # The candidates and the approved counted by sex, age band and route (``services.fairness``).
    group_counts: dict[str, Any] | None = None

    @property
    def seats_offered(self) -> int:
        return max(self.capacity - self.used_before, 0)

    @property
    def approved_ids(self) -> list[int]:
        return [p.candidate.application_id for p in self.picks]

    @property
    def seats_taken(self) -> int:
        return sum(p.candidate.seats for p in self.picks)

    @property
    def cutoff_score(self) -> int | None:
        return min((p.candidate.score for p in self.picks), default=None)

    @property
    def last_rank(self) -> int:
        """Rank of the last approved candidate (0 when nobody was approved)."""
        return self.picks[-1].rank if self.picks else 0

    @property
    def ranked_below(self) -> int:
        """Candidates ranked below the last approved one (all of them when nobody was approved)."""
        return self.candidates - self.last_rank


class _Replan(Exception):
    """The candidates changed between planning and writing; plan again."""


def year_end(year: int) -> dt.datetime:
    """The first instant after the quota year, Almaty time."""
    return dt.datetime(year + 1, 1, 1, tzinfo=ALMATY)


# The ranking: score total (highest first), submitted_at (earliest first), id (lowest first).
_RANKING = (Score.total.desc(), Application.submitted_at.asc(), Application.id.asc())


def ranking_key(c: Candidate) -> tuple[int, dt.datetime, int]:
    """A candidate's place in the ranking (``_RANKING``, in Python): sort by it."""
    return (-c.score, c.submitted_at, c.application_id)
_COLUMNS = (Application.id, Score.total, Application.submitted_at, Questionnaire.family_size)


def _candidates(quota: Quota, *columns: Any) -> Select[Any]:
    """SELECT ``columns`` over the quota's candidates (joined with score and questionnaire)."""
    return (
        select(*columns)
        .select_from(Application)
        .join(Score, Score.application_id == Application.id)
        .join(Questionnaire, Questionnaire.application_id == Application.id)
        .where(
            Application.route == Route.KANDAS,
            Application.status == ApplicationStatus.PASSED,
            Application.target_region_id == quota.region_id,
            Application.submitted_at < year_end(quota.year),
        )
    )


def _ranked_after(c: Candidate) -> ColumnElement[bool]:
    """Candidates ranked strictly after ``c`` (the redundant ``total <= …`` lets an index on
    the score total bound the scan)."""
    return and_(Score.total <= c.score, or_(
        Score.total < c.score,
        Application.submitted_at > c.submitted_at,
        and_(Application.submitted_at == c.submitted_at, Application.id > c.application_id),
    ))


def _ranked_up_to(c: Candidate) -> ColumnElement[bool]:
    """Candidates ranked before ``c``, or ``c`` itself."""
    return and_(Score.total >= c.score, or_(
        Score.total > c.score,
        Application.submitted_at < c.submitted_at,
        and_(Application.submitted_at == c.submitted_at, Application.id <= c.application_id),
    ))


def _candidate(row: Any) -> Candidate:
    return Candidate(application_id=row[0], score=row[1], submitted_at=row[2], seats=row[3])


async def ranked_candidates(session: AsyncSession, quota: Quota) -> list[Candidate]:
    """Every eligible application in ranking order, in one SELECT.

    The reference for tests and small tools; a round reads only what it needs
    (:func:`plan_selection`)."""
    rows = (await session.execute(_candidates(quota, *_COLUMNS).order_by(*_RANKING))).all()
    return [_candidate(r) for r in rows]


def _walk(candidates: list[Candidate], seats_left: int, first_rank: int = 1) -> tuple[list[Pick], list[Candidate]]:
    picks: list[Pick] = []
    passed_over: list[Candidate] = []
    for rank, c in enumerate(candidates, start=first_rank):
        if c.seats <= seats_left:
            picks.append(Pick(rank=rank, candidate=c))
            seats_left -= c.seats
        else:
            passed_over.append(c)
    return picks, passed_over


def plan_round(candidates: list[Candidate], seats_left: int) -> tuple[list[Pick], list[Candidate]]:
    """Walk the ranking: approve each family that fits in the seats left, pass over the others.

    The definition of a round, one candidate at a time over the whole ranking;
    :func:`plan_selection` gives the same picks without reading every candidate."""
    return _walk(candidates, seats_left)


def passed_over_above(picks: list[Pick], passed_over: list[Candidate]) -> list[Candidate]:
    """The passed over a round records: those ranked above its last pick (the ones
    below it are only counted), as :func:`plan_selection` returns them."""
    if not picks:
        return []
    last = ranking_key(picks[-1].candidate)
    return [c for c in passed_over if ranking_key(c) < last]


def approval_reason(on: dt.date, year: int, region_code: str, pick: Pick) -> str:
    """The reason a selection round of ``on`` on the ``year`` KANDAS quota of
    ``region_code`` gives the application it approves with ``pick``."""
    return t("Approved by the selection round of {on} on the {year} KANDAS quota of {region}: ranked {rank} with "
             "{score} points, {seats} seat(s) taken.", on=on, year=year, region=region_code, rank=pick.rank,
             score=pick.candidate.score, seats=pick.candidate.seats)


async def plan_selection(
    session: AsyncSession, quota: Quota, seats_left: int
) -> tuple[list[Pick], list[Candidate], int]:
    """The picks of a round, the candidates passed over above the last pick, and the
    number of candidates: the walk of :func:`plan_round`, without reading them all.

    1. The prefix of the ranking whose running sum of seats fits is approved as a
       set: one statement ranks with ``row_number()`` and a running ``sum()`` of
       seats and returns the prefix and the first candidate past it (the
       *boundary*). Every family takes at least one seat (a CHECK on
       ``family_size``), so both lie within the first ``seats_left + 1`` ranks,
       and the ranking is read no further.
    2. After the boundary the seats left only ever decrease, so a family larger
       than them can never fit later: keyset queries read, after the last
       candidate seen, only the families that fit in the seats left now
       (``_TAIL_CHUNK`` at a time) and walk those, until no seat is left or no
       family fits.
    3. If the walk approved anyone past the boundary, the candidates from the
       boundary to the last of them are read once more: their positions give
       the ranks, the ones not approved are the passed over, and walking them
       again must give the same picks (otherwise the candidates changed between
       the statements and the round is planned again, ``_Replan``).

    ``candidates`` is a ``count(*)``, read only when someone is left out. On
    PostgreSQL each statement sees the candidates committed when it starts; a
    candidate that changes meanwhile is caught by step 3 or by the conditional
    approval (``_approve``), and both plan the round again."""
    seats_left = max(seats_left, 0)
    window: dict[str, Any] = {"order_by": _RANKING, "rows": (None, 0)}
    ranked = (
        _candidates(
            quota, *_COLUMNS,
            func.row_number().over(**window).label("rank"),
            func.sum(Questionnaire.family_size).over(**window).label("running"),
        )
        .order_by(*_RANKING)
        .limit(seats_left + 1)
        .subquery("ranked")
    )
    rows = (await session.execute(
        select(ranked).where(ranked.c.running - ranked.c.family_size <= seats_left).order_by(ranked.c.rank)
    )).all()
    picks = [Pick(rank=r.rank, candidate=_candidate(r)) for r in rows if r.running <= seats_left]
    boundary = next((r for r in rows if r.running > seats_left), None)
    if boundary is None:  # every candidate fits
        return picks, [], len(picks)
    candidates = (await session.execute(_candidates(quota, func.count()))).scalar_one()
    left = seats_left - sum(p.candidate.seats for p in picks)

    first = _candidate(boundary)
    after, tail, r = first, [], left
    while r > 0:
        chunk = [_candidate(row) for row in (await session.execute(
            _candidates(quota, *_COLUMNS)
            .where(_ranked_after(after), Questionnaire.family_size <= r)
            .order_by(*_RANKING)
            .limit(_TAIL_CHUNK)
        )).all()]
        for c in chunk:  # the walk, for the families read: all fit when read, r only falls
            if c.seats <= r:
                tail.append(c)
                r -= c.seats
                if r == 0:
                    break
        if len(chunk) < _TAIL_CHUNK:
            break
        after = chunk[-1]
    if not tail:
        return picks, [], candidates

    between = [_candidate(row) for row in (await session.execute(
        _candidates(quota, *_COLUMNS)
        .where(_ranked_after(first), _ranked_up_to(tail[-1]))
        .order_by(*_RANKING)
    )).all()]
    tail_picks, passed_over = _walk([first, *between], left, first_rank=boundary.rank)
    if [p.candidate for p in tail_picks] != tail:
        raise _Replan
    return picks + tail_picks, passed_over, candidates


async def _load_quota(session: AsyncSession, quota_id: int, *, lock: bool) -> Quota:
    stmt = select(Quota).where(Quota.id == quota_id).execution_options(populate_existing=True)
    if lock:
        stmt = stmt.with_for_update()
    quota = (await session.execute(stmt)).scalar_one_or_none()
    if quota is None:
        raise not_found(t("quota"), "input", "quotaId")
    return quota


async def _approve(session: AsyncSession, quota: Quota, picks: list[Pick], now: dt.datetime) -> None:
    """Take the seats and approve the picked applications, all or nothing (raises _Replan)."""
    seats = sum(p.candidate.seats for p in picks)
    if seats and not await take_seats(session, quota.id, seats):
        raise _Replan
    by_size: dict[int, list[int]] = defaultdict(list)
    for p in picks:
        by_size[p.candidate.seats].append(p.candidate.application_id)
    approved = 0
    for size, app_ids in by_size.items():
        for i in range(0, len(app_ids), _CHUNK):
            chunk = app_ids[i:i + _CHUNK]
            result = await session.execute(
                update(Application)
                .where(Application.id.in_(chunk), Application.status == ApplicationStatus.PASSED)
                .values(status=ApplicationStatus.APPROVED, decided_at=now, updated_at=now, seats=size,
                        quota_id=quota.id, decision_reason=None)
                .execution_options(synchronize_session=False)
            )
            approved += result.rowcount
    if approved != len(picks):
        raise _Replan


async def candidate_groups(session: AsyncSession, quota: Quota, approved: set[int], now: dt.datetime
                           ) -> dict[str, Any]:
    """The round's candidates (read before they are approved) counted by sex, age
    band (on the round's day) and route, approved or not: the round's fairness
    counts (``services.fairness``). One SELECT of three columns per candidate."""
    on = now.astimezone(ALMATY).date()
    rows = (await session.execute(
        _candidates(quota, Application.id, Applicant.sex, Applicant.birth_date, Application.route)
        .join(Applicant, Applicant.id == Application.applicant_id))).all()
    return fairness.count_groups((sex, age_on(birth, on), route, app_id in approved)
                                 for app_id, sex, birth, route in rows)


def require_staff(viewer: Viewer) -> None:
    if not viewer.is_staff:
        raise forbidden(t("only officers and administrators may run selection rounds"))


async def run_selection_round(
    session: AsyncSession, viewer: Viewer, *, quota_id: int, dry_run: bool = False
) -> RoundResult:
    """Run (or, with ``dry_run``, only compute) a selection round on a KANDAS quota."""
    require_staff(viewer)
    for _attempt in range(_MAX_PLANS):
        quota = await _load_quota(session, quota_id, lock=not dry_run)
        if quota.kind != QuotaKind.KANDAS:
            raise invalid(t("selection rounds run on KANDAS quotas only; LABOUR seats are taken one by one "
                            "when decideApplication approves a LABOUR application"), "input", "quotaId")
        now = utcnow()
        try:
            picks, passed_over, candidates = await plan_selection(session, quota, quota.capacity - quota.used)
        except _Replan:
            continue
        result = RoundResult(quota_id=quota.id, dry_run=dry_run, ran_at=now, picks=picks, passed_over=passed_over,
                             capacity=quota.capacity, used_before=quota.used, candidates=candidates)
        result.group_counts = await candidate_groups(session, quota, set(result.approved_ids), now)
        if dry_run:
            return result
        try:
            async with session.begin_nested():
                await _approve(session, quota, picks, now)
        except _Replan:
            continue
        break
    else:
        raise ServiceError.one(ErrorCode.CONFLICT, t("the candidates kept changing while the round ran; run it again"),
                               ["input", "quotaId"])

    round_row = SelectionRound(quota_id=quota.id, ran_at=now, ran_by=viewer.audit_subject,
                               cutoff_score=result.cutoff_score, seats_taken=result.seats_taken,
                               seats_offered=result.seats_offered, group_counts=result.group_counts)
    session.add(round_row)
    await session.flush()
    assert round_row.id is not None
    result.round_id = round_row.id
    if passed_over:
        await session.execute(insert(SelectionRoundPassedOver), [
            {"round_id": round_row.id, "application_id": c.application_id, "position": i,
             "score": c.score, "seats": c.seats}
            for i, c in enumerate(passed_over, start=1)
        ])
    if picks:
        await session.execute(insert(SelectionRoundApproval), [
            {"round_id": round_row.id, "application_id": p.candidate.application_id, "rank": p.rank,
             "score": p.candidate.score, "seats": p.candidate.seats}
            for p in picks
        ])
        region_code = (await session.execute(select(Region.code).where(Region.id == quota.region_id))).scalar_one()
        on = now.astimezone(ALMATY).date()
        cancelled = await decisions.close(session, viewer, outcome=DecisionOutcome.APPROVED, now=now, closings=[
            decisions.Closing(p.candidate.application_id, selection_round_id=round_row.id,
                              reason=approval_reason(on, quota.year, region_code, p))
            for p in picks
        ])
        await audit.record_many(session, viewer, "application.approve", "application", [
            (p.candidate.application_id,
             {"status": [ApplicationStatus.PASSED, ApplicationStatus.APPROVED], "quotaId": quota.id,
              "seats": p.candidate.seats, "selectionRoundId": round_row.id, "rank": p.rank,
              "score": p.candidate.score,
              **({"cancelledChecks": cancelled[p.candidate.application_id]}
                 if p.candidate.application_id in cancelled else {})})
            for p in picks
        ], at=now)
        # SPEC §12: the principal applicants are granted kandas status in the same transaction.
        await kandas.grant_for(session, viewer, result.approved_ids, on)
    await audit.record(session, viewer, "selection_round.run", "selection_round", round_row.id, {
        "quotaId": quota.id, "capacity": quota.capacity, "usedBefore": result.used_before,
        "seatsTaken": result.seats_taken, "cutoffScore": result.cutoff_score,
        "candidates": result.candidates,
        "approvedCount": len(picks), "approved": result.approved_ids,
        # Only the families ranked above the last approved one that did not fit:
        # those below it are counted, not listed.
        "passedOverCount": len(passed_over), "passedOver": [c.application_id for c in passed_over],
        "rankedBelow": result.ranked_below,
    })
    return result
