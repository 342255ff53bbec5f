"""Monthly selection rounds over the batch's KANDAS candidates, and the decision
record of every application that left the undecided states."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cli.demo.applications import decide
from cli.demo.common import DEMO_YEAR, OFFICER, Batch, almaty_date
from cli.demo.context import Context
from services.quotas import Candidate, plan_round


def run_rounds(ctx: Context, b: Batch, candidates: dict[tuple[int, dt.datetime], list[Any]]) -> dict[int, tuple[int, str]]:
    """Monthly selection rounds per region, in date order, ranked and capped as
    services.quotas.plan_round does; families that do not fit stay PASSED.
    Returns, per approved application, its round and the decision's reason."""
    apps = b.rows["application"]
    approvals: dict[int, tuple[int, str]] = {}
    codes = {r[0]: r[1] for r in ctx.regions}
    for (region, ran_at), entries in sorted(candidates.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        quota = ctx.kandas_quotas[region]
        if quota.left <= 0:
            continue
        ranked = sorted(entries, key=lambda e: (-e[1], e[2], e[0]))
        picks, passed_over = plan_round([Candidate(i, total, at, seats) for i, total, at, seats in ranked],
                                        quota.left)
        seats = sum(p.candidate.seats for p in picks)
        round_index = b.add("selection_round", {
            "quota_id": quota.id, "ran_at": ran_at, "ran_by": OFFICER,
            "cutoff_score": min((p.candidate.score for p in picks), default=None), "seats_taken": seats,
        })
        quota.taken += seats
        b.quota_seats[quota.id] += seats
        for p in picks:
            app = apps[p.candidate.application_id]
            b.statuses["PASSED"] -= 1
            b.statuses["APPROVED"] += 1
            decide(app, "APPROVED", ran_at, None)
            app["seats"] = p.candidate.seats
            app["quota_id"] = quota.id
            b.add("selection_round_approval", {
                "round_id": round_index, "application_id": p.candidate.application_id, "rank": p.rank,
                "score": p.candidate.score, "seats": p.candidate.seats,
            })
            approvals[p.candidate.application_id] = (round_index, (
                f"Approved by the selection round of {almaty_date(ran_at).isoformat()} on the {DEMO_YEAR} "
                f"KANDAS quota of {codes[region]}: ranked {p.rank} with {p.candidate.score} points, "
                f"{p.candidate.seats} seat(s) taken."))
        last = picks[-1].candidate if picks else None
        above = [c for c in passed_over if last is not None and (-c.score, c.submitted_at, c.application_id)
                 < (-last.score, last.submitted_at, last.application_id)]
        for position, c in enumerate(above, start=1):
            b.add("selection_round_passed_over", {
                "round_id": round_index, "application_id": c.application_id, "position": position,
                "score": c.score, "seats": c.seats,
            })
    return approvals


def close_decided(b: Batch, approvals: dict[int, tuple[int, str]]) -> None:
    """The decision record of every application decided or withdrawn (as
    services.decisions.close writes it), and its checks still REQUESTED cancelled."""
    apps = b.rows["application"]
    for app_index, app in enumerate(apps):
        if app["status"] not in ("APPROVED", "REJECTED", "WITHDRAWN"):
            continue
        round_index, reason = approvals.get(app_index, (None, app["decision_reason"]))
        by = app["owner_subject"] if app["status"] == "WITHDRAWN" and app["owner_subject"] else OFFICER
        b.add("application_decision", {
            "application_id": app_index, "outcome": app["status"], "reason": reason,
            "decided_at": app["decided_at"], "decided_by": by, "selection_round_id": round_index,
        })
    for check in b.rows["check_result"]:
        app = apps[check["application_id"]]
        if check["status"] == "REQUESTED" and app["status"] in ("APPROVED", "REJECTED", "WITHDRAWN"):
            check["status"] = "CANCELLED"
            check["details"] = ("Cancelled: the application was withdrawn." if app["status"] == "WITHDRAWN"
                                else f"Cancelled: the application was decided ({app['status']}) "
                                     "before this result came.")
            check["updated_at"] = max(app["decided_at"], check["updated_at"] + dt.timedelta(microseconds=1))
            check["recorded_by"] = OFFICER
