"""The status machine of an application, in one place: ``ALLOWED_FROM`` (which
states each action may start from) and ``LEADS_TO`` (which states it may end
in). ``require_status`` and ``move`` are the only code of the pipeline that
reads or changes ``Application.status`` (``scoring_models.store_scores`` sets
PASSED/FAILED, for ``scoreApplication`` through ``store_score`` and for
re-scoring, which this table allows)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from core.text import t
from models import Application
from models.enums import UNDECIDED_STATUSES, ApplicationStatus
from services.applications.common import APPLICATION_ID
from services.errors import invalid_state

S = ApplicationStatus

# The states each action may start from. Everything else is INVALID_STATE.
ALLOWED_FROM: dict[str, tuple[ApplicationStatus, ...]] = {
    "recordLanguageTest": UNDECIDED_STATUSES,
    "submitQuestionnaire": UNDECIDED_STATUSES,
    "requestChecks": UNDECIDED_STATUSES,
    "recordCheckResult": UNDECIDED_STATUSES,
    "scheduleInterview": UNDECIDED_STATUSES,
    "recordInterviewOutcome": UNDECIDED_STATUSES,
    "scoreApplication": UNDECIDED_STATUSES,
    "decideApplication(APPROVE)": (S.PASSED,),
    "decideApplication(REJECT)": UNDECIDED_STATUSES,
    "runSelectionRound": (S.PASSED,),
    "withdrawApplication": UNDECIDED_STATUSES,
    # not a mutation: a stage write that changes a fact of a scored application (see mark_score_stale)
    "factsChanged": (S.PASSED, S.FAILED),
    # SPEC §14: a review of a decision (services.reviews)
    "requestReview": (S.FAILED, S.REJECTED),
    "decideReview(OVERTURNED)": (S.FAILED, S.REJECTED),
}

# The states an action may move an application to (actions not listed keep the status).
LEADS_TO: dict[str, tuple[ApplicationStatus, ...]] = {
    "scoreApplication": (S.PASSED, S.FAILED),
    "decideApplication(APPROVE)": (S.APPROVED,),
    "decideApplication(REJECT)": (S.REJECTED,),
    "runSelectionRound": (S.APPROVED,),
    "withdrawApplication": (S.WITHDRAWN,),
    "factsChanged": (S.SUBMITTED,),
    "decideReview(OVERTURNED)": (S.SUBMITTED, S.PASSED),
}


def _or_list(states: Sequence[ApplicationStatus]) -> str:
    names = [s.value for s in states]
    return names[0] if len(names) == 1 else t("{states} or {last}", states=", ".join(names[:-1]), last=names[-1])


def _label(action: str) -> str:
    return action.replace("(", " (") if "(" in action else action


def require_status(app: Application, action: str, *field: str) -> None:
    """INVALID_STATE naming the state(s) that allow ``action`` unless ``app`` is in one."""
    allowed = ALLOWED_FROM[action]
    if app.status not in allowed:
        raise invalid_state(
            t("{action} needs the application to be {allowed}; it is {status}", action=_label(action),
              allowed=_or_list(allowed), status=app.status.value),
            *(field or APPLICATION_ID),
        )


def moved_to(status: ApplicationStatus, action: str, to: ApplicationStatus | None = None) -> ApplicationStatus:
    """Where ``action`` takes an application in ``status``: ``to`` (left out: the one state
    the action leads to), checked against the table. A move the table does not allow is
    a programming error, not a user's (a request is checked with :func:`require_status`)."""
    leads = LEADS_TO.get(action, ())
    if to is None and len(leads) == 1:
        to = leads[0]
    if status not in ALLOWED_FROM[action] or to not in leads:
        raise AssertionError(f"{action} never leads from {status.value} to {to.value if to else 'one state'}")
    return to


def move(app: Application, action: str, to: ApplicationStatus, now: dt.datetime) -> ApplicationStatus:
    """Change the status along an allowed transition; returns the old status."""
    require_status(app, action)
    old = app.status
    app.status = moved_to(old, action, to)
    app.updated_at = now
    return old
