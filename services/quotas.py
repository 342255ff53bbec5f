"""Quotas, seats and selection rounds (SPEC §5).

Seats are taken with one conditional UPDATE (``used + n <= capacity``) whose row
count says whether they fit: two transactions racing for the last seat cannot
both win, on PostgreSQL (row lock) and SQLite (write lock) alike.

A selection round (KANDAS quotas only):

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

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Application,
    AuditEvent,
    Occupation,
    Questionnaire,
    Quota,
    Region,
    Score,
    SelectionRound,
    SelectionRoundApproval,
)
from models.base import ALMATY, utcnow
from models.enums import ApplicationStatus, QuotaKind, Route
from services import audit
from services.errors import ErrorCode, ErrorCollector, ServiceError, forbidden, invalid, not_found
from services.viewer import Viewer

YEAR_MIN, YEAR_MAX = 2000, 2100
CAPACITY_MAX = 10_000_000
_CHUNK = 1000  # ids per IN (...) list, well under every driver's parameter limit
_MAX_PLANS = 5


# --------------------------------------------------------------------------
# seats


async def take_seats(session: AsyncSession, quota_id: int, seats: int) -> bool:
    """Take ``seats`` seats of the quota if they fit; False (nothing changed) otherwise."""
    result = await session.execute(
        update(Quota)
        .where(Quota.id == quota_id, Quota.used + seats <= Quota.capacity)
        .values(used=Quota.used + seats, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def labour_quota(session: AsyncSession, *, region_id: int, occupation_id: int, year: int) -> Quota | None:
    return (await session.execute(
        select(Quota).where(Quota.kind == QuotaKind.LABOUR, Quota.region_id == region_id,
                            Quota.occupation_id == occupation_id, Quota.year == year)
    )).scalar_one_or_none()


async def take_labour_seat(session: AsyncSession, *, region_id: int, occupation_id: int, year: int) -> Quota:
    """One seat of the (region, occupation, year) LABOUR quota, or QUOTA_EXHAUSTED."""
    quota = await labour_quota(session, region_id=region_id, occupation_id=occupation_id, year=year)
    if quota is None:
        raise ServiceError.one(ErrorCode.QUOTA_EXHAUSTED,
                               f"there is no LABOUR quota for this region and occupation in {year}",
                               ["input", "applicationId"])
    if not await take_seats(session, quota.id, 1):
        raise ServiceError.one(ErrorCode.QUOTA_EXHAUSTED,
                               f"the LABOUR quota for this region and occupation in {year} is exhausted",
                               ["input", "applicationId"])
    return quota


# --------------------------------------------------------------------------
# upsertQuota


def _require_admin(viewer: Viewer) -> None:
    if not viewer.is_admin:
        raise forbidden("only administrators may change quotas")


async def _find_quota(session: AsyncSession, kind: QuotaKind, year: int, region_id: int,
                      occupation_id: int | None, *, lock: bool = False) -> Quota | None:
    stmt = select(Quota).where(Quota.kind == kind, Quota.year == year, Quota.region_id == region_id)
    stmt = stmt.where(Quota.occupation_id.is_(None) if occupation_id is None else Quota.occupation_id == occupation_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt.execution_options(populate_existing=True))).scalar_one_or_none()


def _below_used(capacity: int, used: int) -> ServiceError:
    return invalid(f"capacity may not be lowered below the {used} seats already used (got {capacity})",
                   "input", "capacity")


async def upsert_quota(
    session: AsyncSession,
    viewer: Viewer,
    *,
    kind: QuotaKind,
    year: int,
    region_code: str,
    occupation_code: str | None,
    capacity: int,
) -> Quota:
    """Create the (kind, year, region[, occupation]) quota or change its capacity."""
    _require_admin(viewer)
    kind = QuotaKind(kind)
    errors = ErrorCollector()
    if not YEAR_MIN <= year <= YEAR_MAX:
        errors.invalid(f"year must be from {YEAR_MIN} to {YEAR_MAX} (got {year})", "input", "year")
    if capacity < 0:
        errors.invalid(f"capacity must not be negative (got {capacity})", "input", "capacity")
    elif capacity > CAPACITY_MAX:
        errors.invalid(f"capacity must be at most {CAPACITY_MAX} (got {capacity})", "input", "capacity")
    region = (await session.execute(select(Region).where(Region.code == region_code.strip().upper()))).scalar_one_or_none()
    if region is None:
        errors.invalid(f"unknown region {region_code!r}; use an ISO 3166-2 code such as KZ-55", "input", "regionCode")
    elif kind == QuotaKind.KANDAS and not region.labour_deficit:
        errors.invalid(f"{region.code} ({region.name_en}) is not a labour-deficit region; "
                       "KANDAS quotas exist only for labour-deficit regions", "input", "regionCode")
    occupation: Occupation | None = None
    code = (occupation_code or "").strip()
    if kind == QuotaKind.KANDAS:
        if code:
            errors.invalid("a KANDAS quota has no occupation; leave occupationCode empty", "input", "occupationCode")
    elif not code:
        errors.invalid("a LABOUR quota needs an occupationCode (ISCO-08, 4 digits)", "input", "occupationCode")
    else:
        occupation = (await session.execute(select(Occupation).where(Occupation.code == code))).scalar_one_or_none()
        if occupation is None:
            errors.invalid(f"unknown occupation {code!r}; use an ISCO-08 unit group code from the reference list",
                           "input", "occupationCode")
    errors.raise_if_any()
    assert region is not None
    occupation_id = occupation.id if occupation else None

    quota = await _find_quota(session, kind, year, region.id, occupation_id, lock=True)
    if quota is None:
        try:
            async with session.begin_nested():
                quota = Quota(kind=kind, year=year, region_id=region.id, occupation_id=occupation_id,
                              capacity=capacity, used=0, updated_at=utcnow())
                session.add(quota)
                await session.flush()
        except IntegrityError:
            # Another administrator created it a moment ago: update theirs instead.
            quota = await _find_quota(session, kind, year, region.id, occupation_id, lock=True)
            if quota is None:  # pragma: no cover - the unique index said it exists
                raise
        else:
            await audit.record(session, viewer, "quota.create", "quota", quota.id,
                               {"kind": kind, "year": year, "region": region.code,
                                "occupation": occupation.code if occupation else None, "capacity": capacity})
            return quota

    before = quota.capacity
    if capacity < quota.used:
        raise _below_used(capacity, quota.used)
    # Conditional, so a seat taken since the read above can never be squeezed out.
    result = await session.execute(
        update(Quota).where(Quota.id == quota.id, Quota.used <= capacity)
        .values(capacity=capacity, updated_at=utcnow()).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        used = (await session.execute(select(Quota.used).where(Quota.id == quota.id))).scalar_one()
        raise _below_used(capacity, used)
    quota = await _find_quota(session, kind, year, region.id, occupation_id)
    assert quota is not None
    if before != capacity:
        await audit.record(session, viewer, "quota.update", "quota", quota.id, {"capacity": [before, capacity]})
    return quota


# --------------------------------------------------------------------------
# selection rounds


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
    picks: list[Pick] = field(default_factory=list)
    passed_over: list[Candidate] = field(default_factory=list)
    capacity: int = 0
    used_before: int = 0

    @property
    def approved_ids(self) -> list[int]:
        return [p.candidate.application_id for p in self.picks]

    @property
    def seats_taken(self) -> int:
        return sum(p.candidate.seats for p in self.picks)

    @property
    def cutoff_score(self) -> int | None:
        return min((p.candidate.score for p in self.picks), default=None)


class _Replan(Exception):
    """The candidates changed between planning and writing; plan again."""


def year_end(year: int) -> dt.datetime:
    """The first instant after the quota year, Almaty time."""
    return dt.datetime(year + 1, 1, 1, tzinfo=ALMATY)


async def ranked_candidates(session: AsyncSession, quota: Quota) -> list[Candidate]:
    """Every eligible application in ranking order, in one SELECT."""
    stmt = (
        select(Application.id, Score.total, Application.submitted_at, Questionnaire.family_size)
        .join(Score, Score.application_id == Application.id)
        .join(Questionnaire, Questionnaire.application_id == Application.id)
        .where(
            Application.route == Route.KANDAS,
            Application.status == ApplicationStatus.PASSED,
            Application.target_region_id == quota.region_id,
            Application.submitted_at < year_end(quota.year),
        )
        .order_by(Score.total.desc(), Application.submitted_at.asc(), Application.id.asc())
    )
    rows = (await session.execute(stmt)).all()
    return [Candidate(application_id=r[0], score=r[1], submitted_at=r[2], seats=r[3]) for r in rows]


def plan_round(candidates: list[Candidate], seats_left: int) -> tuple[list[Pick], list[Candidate]]:
    """Walk the ranking: approve each family that fits in the seats left, pass over the others."""
    picks: list[Pick] = []
    passed_over: list[Candidate] = []
    for rank, c in enumerate(candidates, start=1):
        if c.seats <= seats_left:
            picks.append(Pick(rank=rank, candidate=c))
            seats_left -= c.seats
        else:
            passed_over.append(c)
    return picks, passed_over


async def _load_quota(session: AsyncSession, quota_id: int, *, lock: bool) -> Quota:
    stmt = select(Quota).where(Quota.id == quota_id).execution_options(populate_existing=True)
    if lock:
        stmt = stmt.with_for_update()
    quota = (await session.execute(stmt)).scalar_one_or_none()
    if quota is None:
        raise not_found("quota", "input", "quotaId")
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


def require_staff(viewer: Viewer) -> None:
    if not viewer.is_staff:
        raise forbidden("only officers and administrators may run selection rounds")


async def run_selection_round(
    session: AsyncSession, viewer: Viewer, *, quota_id: int, dry_run: bool = False
) -> RoundResult:
    """Run (or, with ``dry_run``, only compute) a selection round on a KANDAS quota."""
    require_staff(viewer)
    for _attempt in range(_MAX_PLANS):
        quota = await _load_quota(session, quota_id, lock=not dry_run)
        if quota.kind != QuotaKind.KANDAS:
            raise invalid("selection rounds run on KANDAS quotas only; LABOUR seats are taken one by one "
                          "when decideApplication approves a LABOUR application", "input", "quotaId")
        now = utcnow()
        candidates = await ranked_candidates(session, quota)
        picks, passed_over = plan_round(candidates, quota.capacity - quota.used)
        result = RoundResult(quota_id=quota.id, dry_run=dry_run, ran_at=now, picks=picks, passed_over=passed_over,
                             capacity=quota.capacity, used_before=quota.used)
        if dry_run:
            return result
        try:
            async with session.begin_nested():
                await _approve(session, quota, picks, now)
        except _Replan:
            continue
        break
    else:
        raise ServiceError.one(ErrorCode.CONFLICT, "the candidates kept changing while the round ran; run it again",
                               ["input", "quotaId"])

    round_row = SelectionRound(quota_id=quota.id, ran_at=now, ran_by=viewer.audit_subject,
                               cutoff_score=result.cutoff_score, seats_taken=result.seats_taken)
    session.add(round_row)
    await session.flush()
    assert round_row.id is not None
    result.round_id = round_row.id
    if picks:
        await session.execute(insert(SelectionRoundApproval), [
            {"round_id": round_row.id, "application_id": p.candidate.application_id, "rank": p.rank,
             "score": p.candidate.score, "seats": p.candidate.seats}
            for p in picks
        ])
        await session.execute(insert(AuditEvent), [
            {"at": now, "actor_subject": viewer.audit_subject, "actor_role": viewer.role,
             "action": "application.approve", "entity_type": "application", "entity_id": p.candidate.application_id,
             "changes": {"status": ["PASSED", "APPROVED"], "quotaId": quota.id, "seats": p.candidate.seats,
                         "selectionRoundId": round_row.id, "rank": p.rank, "score": p.candidate.score}}
            for p in picks
        ])
    await audit.record(session, viewer, "selection_round.run", "selection_round", round_row.id, {
        "quotaId": quota.id, "capacity": quota.capacity, "usedBefore": result.used_before,
        "seatsTaken": result.seats_taken, "cutoffScore": result.cutoff_score,
        "approved": result.approved_ids,
        "passedOver": [c.application_id for c in passed_over],
    })
    return result


async def quota_usage(session: AsyncSession, quota_id: int) -> tuple[int, int]:
    """(``quota.used``, seats of the APPROVED applications booked on it): equal when consistent."""
    used = (await session.execute(select(Quota.used).where(Quota.id == quota_id))).scalar_one()
    booked = (await session.execute(
        select(func.coalesce(func.sum(Application.seats), 0))
        .where(Application.quota_id == quota_id, Application.status == ApplicationStatus.APPROVED)
    )).scalar_one()
    return int(used), int(booked)
