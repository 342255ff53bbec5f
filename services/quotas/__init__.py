"""Quotas, seats and selection rounds (SPEC §5).

- ``seats``: creating a quota or changing its capacity (``upsertQuota``), taking
  seats (one conditional UPDATE), a LABOUR approval's seat, the seats booked;
- ``selection``: selection rounds on KANDAS quotas (the ranking, the walk that
  defines a round, and the round that computes it in a few statements).
"""

from services.quotas.seats import (
    capacity_problem,
    delete_quota,
    delete_refusal,
    labour_quota,
    quota_usage,
    take_labour_seat,
    take_labour_seats,
    seats_remaining,
    take_seats,
    upsert_quota,
)
from services.quotas.selection import (
    Candidate,
    Pick,
    RoundResult,
    approval_reason,
    passed_over_above,
    plan_round,
    plan_selection,
    ranked_candidates,
    ranking_key,
    require_staff,
    run_selection_round,
    year_end,
)

__all__ = [
    "Candidate",
    "Pick",
    "RoundResult",
    "approval_reason",
    "capacity_problem",
    "delete_quota",
    "delete_refusal",
    "labour_quota",
    "passed_over_above",
    "plan_round",
    "plan_selection",
    "quota_usage",
    "ranked_candidates",
    "ranking_key",
    "require_staff",
    "run_selection_round",
    "seats_remaining",
    "take_labour_seat",
    "take_labour_seats",
    "take_seats",
    "upsert_quota",
    "year_end",
]
