"""Kandas statuses for the approved KANDAS families (a few extended, a few ended)
and reviews of FAILED and REJECTED decisions (open, overdue, upheld, overturned),
by the rules of ``services.kandas`` and ``services.reviews``.

An EXPIRED status needs an approval more than a year old; the demo data begin in
the demo year, so theirs expire as time passes (read from today, no job)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from cli.demo.common import OFFICER, Batch, Choice, Ref, Window, almaty_date, at, ri
from cli.demo.context import Context
from models.enums import ApplicationStatus, KandasEndReason, ReviewStatus, Route
from services.applications.status import moved_to
from services.holidays import add_working_days
from services.kandas import EXTENSION_MAX, EXTENSION_MIN, valid_until_of
from services.reviews import REVIEW_WORKING_DAYS, last_day_to_ask
from services.rules import add_months

_END_REASON = Choice(((KandasEndReason.CITIZENSHIP_GRANTED.value, 50), (KandasEndReason.DEPARTED.value, 35),
                      (KandasEndReason.REVOKED.value, 15)))
_GROUNDS = (
    "The interview notes describe another candidate; I ask that the interview be held again.",
    "My work experience was counted as 2 years; the employment record shows 6 years.",
    "The certificate of my language test was not taken into account.",
    "The refusal gives no reason that applies to my family; I ask for a review.",
)
_UPHELD = ("The decision was checked against the file and stands.", "No new facts were given.")
_OVERTURNED = ("The facts on file were recorded wrongly; the application goes back.",
               "The interview is to be held again.")


def grant_statuses(ctx: Context, rng: random.Random, window: Window, b: Batch) -> None:
    """A status for every KANDAS family the rounds approved, granted on the decision's date."""
    contract_start = {c["application_id"]: c["start_date"] for c in b.rows["social_contract"]}
    for app_index, app in enumerate(b.rows["application"]):
        if app["route"] != Route.KANDAS or app["status"] != ApplicationStatus.APPROVED:
            continue
        granted_on = almaty_date(app["decided_at"])
        valid_until = valid_until_of(granted_on)
        updated = app["decided_at"]
        row: dict[str, Any] = {
            "number": None, "application_id": app_index, "applicant_id": app["applicant_id"],
            "granted_on": granted_on, "valid_until": valid_until, "extended_months": None, "status": "ACTIVE",
            "end_reason": None, "ended_on": None, "created_at": app["decided_at"], "updated_at": updated,
        }
        days = (window.today - granted_on).days
        # Ended: after the contract began (signContract needs the status), on or before today.
        first_end = max(granted_on, contract_start.get(app_index, granted_on)) + dt.timedelta(days=1)
        if days >= 60 and first_end <= window.today and rng.random() < 0.04:
            ended_on = first_end + dt.timedelta(days=ri(rng, 0, (window.today - first_end).days))
            row.update(status="ENDED", end_reason=_END_REASON(rng), ended_on=ended_on,
                       updated_at=min(at(ended_on, 12), window.ceiling))
        elif days >= 30 and rng.random() < 0.08:  # extended once, while active
            row.update(extended_months=ri(rng, EXTENSION_MIN, EXTENSION_MAX))
            row["valid_until"] = add_months(valid_until, row["extended_months"])
            row["updated_at"] = min(at(granted_on + dt.timedelta(days=ri(rng, 1, days)), 11), window.ceiling)
        b.add("kandas_status", row)


def ask_reviews(ctx: Context, rng: random.Random, window: Window, b: Batch) -> None:
    """Reviews of some FAILED and REJECTED decisions, asked within 3 months; the
    ones due before today mostly decided (upheld, or overturned: the application
    moves back as ``services.reviews.decide_review`` moves it)."""
    scores = {s["application_id"]: s for s in b.rows["score"]}
    for app_index, app in enumerate(b.rows["application"]):
        status = app["status"]
        if status not in (ApplicationStatus.FAILED, ApplicationStatus.REJECTED) or rng.random() >= 0.15:
            continue
        score = scores.get(app_index)
        decided_at = app["decided_at"] if status == ApplicationStatus.REJECTED else (score or {}).get("computed_at")
        if decided_at is None:
            continue
        decided_on = almaty_date(decided_at)
        last = min(last_day_to_ask(decided_on), window.today)
        if last <= decided_on:
            continue
        asked_on = decided_on + dt.timedelta(days=ri(rng, 1, min(60, (last - decided_on).days)))
        requested_at = min(max(at(asked_on, ri(rng, 9, 17), ri(rng, 0, 59)), decided_at), window.ceiling)
        due = add_working_days(asked_on, REVIEW_WORKING_DAYS, ctx.days_off)
        row: dict[str, Any] = {
            "number": None, "application_id": app_index, "status": ReviewStatus.OPEN.value,
            "grounds": rng.choice(_GROUNDS), "requested_at": requested_at,
            "requested_by": app["owner_subject"] or OFFICER, "due_date": due, "reviewed_status": status,
            "decision_on": decided_on, "decision_by": OFFICER,
            "score_model_version": score["model_version"] if score else None,
            "score_total": score["total"] if score else None, "score_passed": score["passed"] if score else None,
            "outcome": None, "reason": None, "decided_at": None, "decided_by": None,
        }
        if due < window.today and rng.random() < 0.75:
            decided_on_review = asked_on + dt.timedelta(days=ri(rng, 1, (due - asked_on).days))
            outcome = "OVERTURNED" if rng.random() < 0.35 else "UPHELD"
            row.update(status=outcome, outcome=outcome, decided_by="demo-reviewer",
                       reason=rng.choice(_OVERTURNED if outcome == "OVERTURNED" else _UPHELD),
                       decided_at=min(max(at(decided_on_review, 15), requested_at), window.ceiling))
            if outcome == "OVERTURNED":
                to = (ApplicationStatus.PASSED if status == ApplicationStatus.REJECTED and row["score_passed"]
                      else ApplicationStatus.SUBMITTED)
                b.statuses[app["status"]] -= 1
                app["status"] = moved_to(ApplicationStatus(status), "decideReview(OVERTURNED)", to).value
                b.statuses[app["status"]] += 1
                app["decided_at"] = None
                app["decision_reason"] = None
                app["updated_at"] = row["decided_at"]
                stale = to == ApplicationStatus.SUBMITTED and score is not None
                if stale:
                    score["stale"] = True  # as services.reviews.decide_review marks it
        review = b.add("decision_review", row)
        if row["outcome"] == "OVERTURNED":  # the move back, as services.reviews.decide_review audits it
            b.audit(app_index, "application.review_overturn", row["decided_at"], {
                "status": [status, app["status"]], **({"scoreStale": True} if stale else {})},
                refs=(("reviewId", Ref("decision_review", review)),
                      ("reviewNumber", Ref("decision_review", review, "number"))),
                by=row["decided_by"], role="OFFICER")
