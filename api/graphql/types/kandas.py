"""Kandas status (SPEC §12) and reviews of a decision (SPEC §14).

Neither is in the read map (``api.graphql.readmap``): a status's ``status`` is
computed from today (an ACTIVE status past ``validUntil`` reads ``EXPIRED``) and
a review's ``overdue`` too, so queries that ask for them run normally."""

from __future__ import annotations

import datetime as dt

import strawberry

import models as m
from api.graphql import ids
from api.graphql.types.applications import Application
from api.graphql.types.common import ApplicationStatus, Node, PageInfo, linked_field  # noqa: F401  (PageInfo: connections)
from api.graphql.types.connections import Connection
from api.graphql.types.reference import name_field
from models import enums
from models.base import today_almaty
from models.enums import ReviewStatus as ReviewStatusEnum
from services.kandas import state_on

KandasStatusState = strawberry.enum(  # type: ignore[misc]
    enums.KandasStatusState, description="ACTIVE; EXPIRED: an active status read after its validUntil; ENDED.")
KandasEndReason = strawberry.enum(enums.KandasEndReason)  # type: ignore[misc]
ReviewStatus = strawberry.enum(enums.ReviewStatus)  # type: ignore[misc]
ReviewOutcome = strawberry.enum(enums.ReviewOutcome)  # type: ignore[misc]


@strawberry.type(description="The kandas status granted to the principal applicant when a selection round "
                             "approved the application (SPEC §12).")
class KandasStatus(Node):
    number: str = strawberry.field(description="KS-YYYY-NNNNNN.")
    granted_on: dt.date = strawberry.field(description="The date of the approval.")
    valid_until: dt.date = strawberry.field(description="The last valid day: a year after grantedOn, plus the "
                                                        "extension's months.")
    status: KandasStatusState = strawberry.field(  # type: ignore[valid-type]
        description="As of today (Asia/Almaty): an ACTIVE status past validUntil reads EXPIRED.")
    extended_months: int | None = strawberry.field(description="The one extension, in months (null: none).")
    end_reason: KandasEndReason | None  # type: ignore[valid-type]
    ended_on: dt.date | None
    application_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, r: m.KandasStatus) -> "KandasStatus":
        return cls(id=strawberry.ID(ids.encode("KandasStatus", r.id)), number=r.number, granted_on=r.granted_on,
                   valid_until=r.valid_until, status=state_on(r.status, r.valid_until, today_almaty()),
                   extended_months=r.extended_months, end_reason=r.end_reason, ended_on=r.ended_on,
                   application_id=r.application_id)

    application = linked_field(Application, m.Application, "application_id")


@strawberry.type(description="A review of a decision asked for by the applicant (SPEC §14), with the decision and "
                             "the score under review kept as they were.")
class DecisionReview(Node):
    number: str = strawberry.field(description="RV-YYYY-NNNNNN.")
    status: ReviewStatus  # type: ignore[valid-type]
    grounds: str
    requested_at: dt.datetime
    requested_by: str | None = strawberry.field(description="Who asked (the applicant or an officer): staff only.")
    due_date: dt.date = strawberry.field(description="20 working days after the request (weekends and public "
                                                     "holidays skipped).")
    overdue: bool = strawberry.field(description="Still OPEN after its due date (as of today, Asia/Almaty).")
    reviewed_status: ApplicationStatus = strawberry.field(description="What the decision under review gave: FAILED "
                                                                      "or REJECTED.")
    decision_on: dt.date = strawberry.field(description="The date of the decision under review.")
    decision_by: str | None = strawberry.field(description="Who made the decision under review: staff only.")
    score_model_version: str | None = strawberry.field(description="The score under review: its model version.")
    score_total: int | None
    score_passed: bool | None
    outcome: ReviewOutcome | None  # type: ignore[valid-type]
    reason: str | None
    decided_at: dt.datetime | None
    decided_by: str | None = strawberry.field(description="Who decided the review: staff only.")
    application_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, r: m.DecisionReview) -> "DecisionReview":
        return cls(id=strawberry.ID(ids.encode("DecisionReview", r.id)), number=r.number, status=r.status,
                   grounds=r.grounds, requested_at=r.requested_at, requested_by=r.requested_by, due_date=r.due_date,
                   overdue=r.status == ReviewStatusEnum.OPEN and r.due_date < today_almaty(),
                   reviewed_status=r.reviewed_status, decision_on=r.decision_on, decision_by=r.decision_by,
                   score_model_version=r.score_model_version, score_total=r.score_total,
                   score_passed=r.score_passed, outcome=r.outcome, reason=r.reason, decided_at=r.decided_at,
                   decided_by=r.decided_by, application_id=r.application_id)

    application = linked_field(Application, m.Application, "application_id")


@strawberry.type
class KandasStatusConnection(Connection[KandasStatus]):
    total_count: int


@strawberry.type
class DecisionReviewConnection(Connection[DecisionReview]):
    total_count: int


@strawberry.type(description="A public holiday of a year (SPEC §14): the fixed ones recur every year; the dated ones "
                             "(movable holidays, days off the government moves) are entered for their year. A review's "
                             "due date skips them.")
class Holiday:
    date: dt.date
    recurring: bool = strawberry.field(description="A fixed-date holiday that recurs every year.")
    name: str = name_field("holiday")
    name_kk: str
    name_ru: str
    name_en: str
