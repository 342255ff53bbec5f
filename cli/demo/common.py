"""What every part of the demo generator shares: the demo year and its window
of time, the batch of rows being built, fast random draws and Almaty dates."""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import json
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from models.base import ALMATY

Progress = Callable[[int, int], None]

DEMO_YEAR = 2026  # the year of the seeded quotas, deficit lists and default model
OFFICER = "demo-officer"

# Tables in the order they are written (parents first).
TABLE_ORDER: tuple[str, ...] = (
    "applicant", "application", "language_test", "questionnaire", "family_member", "check_result", "interview",
    "score", "score_history", "selection_round", "selection_round_approval", "selection_round_passed_over",
    "application_decision",
    "social_contract", "support_payment", "contract_termination", "refund_payment", "kandas_status",
    "decision_review",
    # Each application's status moves, as the services audit them (Batch.audit).
    "audit_event",
    # Written last, through the services, for a sample of the contracts (cli.demo.residence).
    "residence_event", "contract_breach",
)


class Ref(NamedTuple):
    """A value of another row of the batch, known once that row is written (its
    ``id``, or its ``number``): an audit event names the application's number or
    the review's id this way (:func:`cli.demo.writer.write` fills them in)."""

    table: str
    index: int
    column: str = "id"


class Event(NamedTuple):
    """An audit event of an application's move, kept small (atomic values only, so
    the garbage collector leaves the batch's events alone): ``changes`` is the JSON
    text of the object, ``refs`` the members the writer adds to it."""

    app_index: int
    action: str
    at: dt.datetime
    actor_subject: str
    actor_role: str
    changes: str
    refs: tuple[tuple[str, Ref], ...]


@dataclass
class Batch:
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {t: [] for t in TABLE_ORDER})
    quota_seats: Counter[int] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    events: list[Event] = field(default_factory=list)  # the rows of audit_event, in the order they are written

    def add(self, table: str, row: dict[str, Any]) -> int:
        rows = self.rows[table]
        rows.append(row)
        return len(rows) - 1  # the batch-local index, replaced by the real id when written

    def audit(self, app_index: int, action: str, when: dt.datetime, changes: dict[str, Any], *,
              refs: tuple[tuple[str, Ref], ...] = (), by: str | None = None, role: str = "APPLICANT") -> None:
        """The audit event of a move of the application ``app_index``, as the service
        taking it records it, at ``when``: by ``by`` (the applicant's subject, or
        another person's with its ``role``), or else by an officer. ``changes`` holds
        JSON values; ``refs`` adds ids and numbers known once written. Events are
        written in the order they are added, so an application's newest event (the
        highest id) is its last move."""
        self.events.append(Event(app_index, action, when, by or OFFICER, role if by else "OFFICER",
                                 json.dumps(changes), refs))


# --------------------------------------------------------------------------
# random draws


def ri(rng: random.Random, low: int, high: int) -> int:
    """``rng.randint(low, high)``, without its argument checking (this runs millions of times)."""
    return low + int(rng.random() * (high - low + 1))


class Choice:
    """A weighted choice, drawn with one random number and a bisection."""

    __slots__ = ("values", "cumulative", "total")

    def __init__(self, pairs: Sequence[tuple[Any, float]]) -> None:
        self.values = [v for v, _ in pairs]
        self.cumulative = list(itertools.accumulate(w for _, w in pairs))
        self.total = self.cumulative[-1]

    def __call__(self, rng: random.Random) -> Any:
        return self.values[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


def moment(rng: random.Random, low: dt.datetime, high: dt.datetime) -> dt.datetime:
    """A random moment from ``low`` to ``high`` (``low`` when the range is empty)."""
    if high <= low:
        return low
    return low + dt.timedelta(seconds=rng.random() * (high - low).total_seconds())


# --------------------------------------------------------------------------
# Almaty dates

_UTC = dt.timezone.utc


def _fixed_offset(year: int) -> dt.timedelta | None:
    """Almaty's UTC offset when it is the same all through ``year`` (and the next
    January), so that dates can be computed without a time-zone lookup each time."""
    offsets = {ALMATY.utcoffset(dt.datetime(y, m, d)) for y, m in [(year, m) for m in range(1, 13)] + [(year + 1, 1)]
               for d in (1, 10, 20)}
    return offsets.pop() if len(offsets) == 1 else None


_OFFSET = _fixed_offset(DEMO_YEAR)
_FAST_FROM = dt.datetime(DEMO_YEAR, 1, 1, tzinfo=_UTC)
_FAST_UNTIL = dt.datetime(DEMO_YEAR + 1, 1, 31, tzinfo=_UTC)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """``hour:minute`` in Almaty on ``day``, as UTC."""
    if _OFFSET is not None and _FAST_FROM.date() <= day < _FAST_UNTIL.date():
        return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=_UTC) - _OFFSET
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=ALMATY).astimezone(_UTC)


def almaty_date(moment: dt.datetime) -> dt.date:
    if _OFFSET is not None and _FAST_FROM <= moment < _FAST_UNTIL:
        return (moment + _OFFSET).date()
    return moment.astimezone(ALMATY).date()


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Window:
    """The time the demo data happen in: the demo year (Almaty), up to now."""

    start: dt.datetime
    ceiling: dt.datetime  # nothing happens after now, nor after the demo year
    today: dt.date
    span: float  # seconds from start to ceiling

    @classmethod
    def until(cls, now: dt.datetime) -> Window:
        start = dt.datetime(DEMO_YEAR, 1, 1, tzinfo=ALMATY).astimezone(_UTC)
        year_end = dt.datetime(DEMO_YEAR + 1, 1, 1, tzinfo=ALMATY).astimezone(_UTC) - dt.timedelta(seconds=1)
        ceiling = min(now, year_end)
        if ceiling <= start + dt.timedelta(days=1):
            ceiling = start + dt.timedelta(days=1)
        return cls(start, ceiling, almaty_date(ceiling), (ceiling - start).total_seconds())
