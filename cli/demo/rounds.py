"""Monthly selection rounds over the batch's KANDAS candidates, and the decision
record of every application that left the undecided states."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from cli.demo.applications import decide
from cli.demo.common import DEMO_YEAR, OFFICER, Batch, Ref, almaty_date
from cli.demo.context import Context
from models.enums import OPEN_CHECK_STATUSES, UNDECIDED_STATUSES, CheckStatus, DecisionOutcome
from services.decisions import CANCEL_NOTE
from services.quotas import Candidate, RoundResult, approval_reason, passed_over_above, plan_round, ranking_key
from services import fairness
from services.rules import age_on, moved_forward


def run_rounds(
    ctx: Context, b: Batch, candidates: dict[tuple[int, dt.datetime], list[Any]],
) -> dict[int, tuple[int, str]]:
    """Monthly selection rounds per region, in date order, ranked and walked by
    services.quotas (``ranking_key``, ``plan_round``); families that do not fit stay
    PASSED. Returns, per approved application, its round and the decision's reason."""
    apps = b.rows["application"]
    approvals: dict[int, tuple[int, str]] = {}
    codes = {r[0]: r[1] for r in ctx.regions}
    for (region, ran_at), entries in sorted(candidates.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        quota = ctx.kandas_quotas[region]
        if quota.left <= 0:
            continue
        ranked = sorted((Candidate(i, total, at, seats) for i, total, at, seats in entries), key=ranking_key)
        picks, passed_over = plan_round(ranked, quota.left)
        result = RoundResult(quota_id=quota.id, dry_run=False, ran_at=ran_at, picks=picks,
                             passed_over=passed_over_above(picks, passed_over))
        approved = {p.candidate.application_id for p in picks}
        people = b.rows["applicant"]
        counts = fairness.count_groups(  # as services.quotas.candidate_groups counts a round's candidates
            (people[apps[c.application_id]["applicant_id"]]["sex"],
             age_on(people[apps[c.application_id]["applicant_id"]]["birth_date"], almaty_date(ran_at)),
             apps[c.application_id]["route"], c.application_id in approved) for c in ranked)
        round_index = b.add("selection_round", {
            "quota_id": quota.id, "ran_at": ran_at, "ran_by": OFFICER,
            "cutoff_score": result.cutoff_score, "seats_taken": result.seats_taken, "seats_offered": quota.left,
            "group_counts": json.dumps(counts) if ctx.dialect == "postgresql" else counts,  # COPY takes JSON as text
        })
        quota.taken += result.seats_taken
        b.quota_seats[quota.id] += result.seats_taken
        on = almaty_date(ran_at)
        for p in picks:
            app = apps[p.candidate.application_id]
            b.statuses[app["status"]] -= 1
            decide(b, p.candidate.application_id, "runSelectionRound", ran_at, None,  # as the round audits it
                   quotaId=quota.id, seats=p.candidate.seats, rank=p.rank, score=p.candidate.score,
                   refs=(("selectionRoundId", Ref("selection_round", round_index)),))
            b.statuses[app["status"]] += 1
            app["seats"] = p.candidate.seats
            app["quota_id"] = quota.id
            b.add("selection_round_approval", {
                "round_id": round_index, "application_id": p.candidate.application_id, "rank": p.rank,
                "score": p.candidate.score, "seats": p.candidate.seats,
            })
            approvals[p.candidate.application_id] = (round_index, approval_reason(on, DEMO_YEAR, codes[region], p))
        for position, c in enumerate(result.passed_over, start=1):
            b.add("selection_round_passed_over", {
                "round_id": round_index, "application_id": c.application_id, "position": position,
                "score": c.score, "seats": c.seats,
            })
    return approvals


def close_decided(b: Batch, approvals: dict[int, tuple[int, str]]) -> None:
    """The decision record of every application decided or withdrawn, and its checks
    still open cancelled, as services.decisions.close writes them."""
    apps = b.rows["application"]
    for app_index, app in enumerate(apps):
        if app["status"] in UNDECIDED_STATUSES:
            continue
        round_index, reason = approvals.get(app_index, (None, app["decision_reason"]))
        by = app["owner_subject"] if app["status"] == DecisionOutcome.WITHDRAWN and app["owner_subject"] else OFFICER
        b.add("application_decision", {
            "application_id": app_index, "outcome": app["status"], "reason": reason,
            "decided_at": app["decided_at"], "decided_by": by, "selection_round_id": round_index,
        })
    for check in b.rows["check_result"]:
        app = apps[check["application_id"]]
        if check["status"] in OPEN_CHECK_STATUSES and app["status"] not in UNDECIDED_STATUSES:
            check["status"] = CheckStatus.CANCELLED.value
            check["details"] = CANCEL_NOTE[DecisionOutcome(app["status"])]
            check["updated_at"] = moved_forward(app["decided_at"], check["updated_at"])
            check["recorded_by"] = OFFICER
