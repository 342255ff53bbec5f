"""The one clock every rule reads."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

ALMATY = ZoneInfo("Asia/Almaty")


# The one clock every rule reads: the wall clock, shifted by whole days when
# "today" is pinned (``pin_today``): by the tests (tests/conftest.py pins a fixed
# 2026 date, so that no test depends on the year it runs in) and by the
# ``QONYS_TODAY`` setting, which only a non-production set-up honours. Time
# still runs (timestamps keep their order); only the date moves.
_offset = dt.timedelta(0)
_pinned = False


def wall_clock() -> dt.datetime:
    """The real time, never shifted: for what is checked against other machines'
    clocks (a token's expiry, which its verifier reads from the real clock)."""
    return dt.datetime.now(dt.timezone.utc)


def utcnow() -> dt.datetime:
    return wall_clock() + _offset


def today_almaty(now: dt.datetime | None = None) -> dt.date:
    """Kazakhstan's date ("today" in every rule is Almaty's)."""
    return (now or utcnow()).astimezone(ALMATY).date()


def pin_today(day: dt.date | None) -> None:
    """From now on "today" (Asia/Almaty) is ``day``, the time of day still running;
    ``None`` goes back to the real date. Not for production (see ``core.settings``)."""
    global _offset, _pinned
    _pinned = day is not None
    _offset = dt.timedelta(0) if day is None else dt.timedelta(
        days=(day - wall_clock().astimezone(ALMATY).date()).days)


def clock_is_pinned() -> bool:
    return _pinned
