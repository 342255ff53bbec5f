"""The application pipeline (SPEC §2, §4, §7, §8): submission, the four stages
(language test, questionnaire, checks, interview), scoring, decisions and
withdrawal.

Every function is ``fn(session, viewer, *, ...)``: it writes in the caller's
transaction, records an audit event for every write, and raises
``ServiceError`` (nothing written, since the caller rolls back) on a request it
refuses. Input problems are collected and reported together.

- ``status``: the status machine (``ALLOWED_FROM``, ``LEADS_TO``, ``require_status``, ``move``);
- ``common``: who may act, loading the application, what the stages share;
- ``submission``: ``submit_application``;
- ``language_test``, ``questionnaire`` (with the family members), ``checks``,
  ``interview``: the four stages;
- ``scores``: ``score_application`` and the stale score after a stage write;
- ``decide``: ``decide_application`` and ``withdraw_application``.
"""

from services.applications.checks import record_check_result, request_checks
from services.applications.common import load_application
from services.applications.decide import decide_application, withdraw_application
from services.applications.interview import record_interview_outcome, schedule_interview
from services.applications.language_test import record_language_test
from services.applications.questionnaire import FAMILY_MEMBERS_MAX, FamilyMemberIn, submit_questionnaire
from services.applications.scores import facts_before_write, mark_score_stale, missing_stages, score_application
from services.applications.status import ALLOWED_FROM, LEADS_TO, move, moved_to, require_status
from services.applications.submission import DUE_DAYS, ApplicantIn, due_date, overdue_condition, submit_application

__all__ = [
    "ALLOWED_FROM",
    "DUE_DAYS",
    "FAMILY_MEMBERS_MAX",
    "LEADS_TO",
    "ApplicantIn",
    "FamilyMemberIn",
    "decide_application",
    "due_date",
    "overdue_condition",
    "facts_before_write",
    "load_application",
    "mark_score_stale",
    "missing_stages",
    "move",
    "moved_to",
    "record_check_result",
    "record_interview_outcome",
    "record_language_test",
    "request_checks",
    "require_status",
    "schedule_interview",
    "score_application",
    "submit_application",
    "submit_questionnaire",
    "withdraw_application",
]
