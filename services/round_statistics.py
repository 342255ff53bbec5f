"""Public statistics of selection rounds (SPEC §17), readable without a token:
per round its date, region, seats offered, people and families approved, the
cut-off score, the tie-break time of the last approved (its submission time:
ties are broken by earlier submission), and the approved scores as counts in
bands of 10 points. Nothing identifies a person:

- a band with fewer than ``MIN_SHOWN`` approved applications shows ``"<5"``,
  never its number (a band between the lowest and the highest approved score
  with nobody in it shows ``"<5"`` too, so empty and small bands look alike);
- a hidden band's number must not follow from what is published either: the
  bands add up to ``familiesApproved``, and the lowest and the highest band
  hold somebody (the cut-off score is published, the bands run to the highest
  score). While some ``"<5"`` band could be only one number under those
  constraints (:func:`_pinned`), the smallest shown band is withheld as well
  and shows ``"≥5"`` (true); when no shown band is left to withhold and one
  still could, the round shows a single band from its lowest to its highest
  score, which tells no more than ``familiesApproved``.

Dry runs are never recorded, so every stored round is a real one. Also served
as ``/public/rounds.json`` and ``/public/rounds.csv`` (``server.public``)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Application, Quota, Region, SelectionRound, SelectionRoundApproval
from models.base import ALMATY
from services import rules
from services.errors import invalid
from services.reference import year_problem

MIN_SHOWN = 5
BAND_WIDTH = 10
HIDDEN = "<5"
WITHHELD = "≥5"


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    count: str


@dataclass(frozen=True)
class RoundStatistics:
    ran_on: dt.date
    year: int
    region_code: str
    region_id: int
    seats_offered: int | None
    people_approved: int
    families_approved: int
    cutoff_score: int | None
    tie_break_at: dt.datetime | None
    bands: tuple[Band, ...]


def score_bands(scores: list[int]) -> tuple[Band, ...]:
    """The approved scores in bands of ``BAND_WIDTH``, lowest first, from the band of
    the lowest score to the band of the highest, small bands hidden (see the module)."""
    if not scores:
        return ()
    counts: dict[int, int] = defaultdict(int)
    for score in scores:
        counts[score // BAND_WIDTH * BAND_WIDTH] += 1
    lows = list(range(min(counts), max(counts) + BAND_WIDTH, BAND_WIDTH))
    shown = {low: str(counts[low]) if counts[low] >= MIN_SHOWN else HIDDEN for low in lows}
    while _pinned(lows, shown, len(scores)):
        visible = [low for low in lows if shown[low].isdigit()]
        if not visible:  # nothing left to withhold: one band, no more than familiesApproved says
            total = str(len(scores)) if len(scores) >= MIN_SHOWN else HIDDEN
            return (Band(lows[0], lows[-1] + BAND_WIDTH - 1, total),)
        shown[min(visible, key=lambda low: (counts[low], low))] = WITHHELD
    return tuple(Band(low, low + BAND_WIDTH - 1, shown[low]) for low in lows)


def _pinned(lows: list[int], shown: dict[int, str], total: int) -> bool:
    """Whether some ``"<5"`` band could hold only one number, given what is published:
    the shown numbers, the bands adding up to ``total``, a ``"<5"`` band holding 0 to 4
    and a ``"≥5"`` band 5 or more, the lowest and the highest band somebody. Each
    band's bounds are an interval, so the others' sums are one too: a band's possible
    numbers are its bounds cut by what the others can make up of the rest."""
    rest = total - sum(int(shown[low]) for low in lows if shown[low].isdigit())
    bounds = {}
    for low in lows:
        if not shown[low].isdigit():
            least = 1 if low in (lows[0], lows[-1]) else 0
            bounds[low] = (least, MIN_SHOWN - 1) if shown[low] == HIDDEN else (max(least, MIN_SHOWN), rest)
    least_sum = sum(lo for lo, _ in bounds.values())
    most_sum = sum(hi for _, hi in bounds.values())
    for low, (lo, hi) in bounds.items():
        if shown[low] == HIDDEN and min(hi, rest - (least_sum - lo)) <= max(lo, rest - (most_sum - hi)):
            return True
    return False


async def selection_round_statistics(session: AsyncSession, *, year: int, region_code: str | None = None
                                     ) -> list[RoundStatistics]:
    """Every round on the ``year`` KANDAS quotas (of one region with ``region_code``),
    oldest first. A year out of range is ``INVALID_INPUT`` on ``year``, an unknown
    region code on ``regionCode``."""
    problem = year_problem(year)
    if problem is not None:
        raise invalid(problem, "year")
    stmt = (select(SelectionRound, Quota.year, Region.code, Region.id)
            .join(Quota, Quota.id == SelectionRound.quota_id).join(Region, Region.id == Quota.region_id)
            .where(Quota.year == year).order_by(SelectionRound.ran_at, SelectionRound.id))
    if region_code is not None:
        problem = rules.region_code_problem(region_code)
        if problem is not None:
            raise invalid(problem, "regionCode")
        stmt = stmt.where(Region.code == rules.normalise_region_code(region_code))
    rounds = (await session.execute(stmt)).all()
    approvals: dict[int, list[Any]] = defaultdict(list)
    ids = [r[0].id for r in rounds]
    for i in range(0, len(ids), 1000):
        a = SelectionRoundApproval
        for row in (await session.execute(
                select(a.round_id, a.rank, a.score, a.seats, Application.submitted_at)
                .join(Application, Application.id == a.application_id)
                .where(a.round_id.in_(ids[i:i + 1000])).order_by(a.round_id, a.rank))).all():
            approvals[row.round_id].append(row)
    result = []
    for round_, quota_year, code, region_id in rounds:
        approved = approvals[round_.id]
        result.append(RoundStatistics(
            ran_on=round_.ran_at.astimezone(ALMATY).date(), year=quota_year, region_code=code, region_id=region_id,
            seats_offered=round_.seats_offered, people_approved=sum(a.seats for a in approved),
            families_approved=len(approved), cutoff_score=round_.cutoff_score,
            tie_break_at=approved[-1].submitted_at if approved else None,
            bands=score_bands([a.score for a in approved])))
    return result


def as_json(statistics: list[RoundStatistics]) -> list[dict[str, Any]]:
    """The statistics as JSON values (camelCase keys, as the GraphQL fields)."""
    return [{
        "ranOn": s.ran_on.isoformat(), "year": s.year, "regionCode": s.region_code, "seatsOffered": s.seats_offered,
        "peopleApproved": s.people_approved, "familiesApproved": s.families_approved, "cutoffScore": s.cutoff_score,
        "tieBreakAt": s.tie_break_at.isoformat() if s.tie_break_at else None,
        "scoreBands": [{"low": b.low, "high": b.high, "count": b.count} for b in s.bands],
    } for s in statistics]


CSV_COLUMNS = ("ranOn", "year", "regionCode", "seatsOffered", "peopleApproved", "familiesApproved", "cutoffScore",
               "tieBreakAt", "scoreBands")


def as_csv(statistics: list[RoundStatistics]) -> str:
    """One line per round; the bands as ``low–high: count`` joined by ``; ``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in as_json(statistics):
        bands = "; ".join(f"{b['low']}–{b['high']}: {b['count']}" for b in row["scoreBands"])
        writer.writerow([("" if row[c] is None else row[c]) for c in CSV_COLUMNS[:-1]] + [bands])
    return out.getvalue()
