"""Kandas status (SPEC §12: extend, end; staff only, checked before the IDs are
decoded) and reviews of a decision (SPEC §14: the applicant or an officer asks,
another officer or an administrator decides). Their inputs and payloads are here."""

from __future__ import annotations

import datetime as dt

import strawberry

import models as m
from api.graphql.mutations.base import Payload
from api.graphql.types import UserError
from api.graphql.types.kandas import DecisionReview, KandasEndReason, KandasStatus, ReviewOutcome
from services import kandas, reviews


@strawberry.input
class ExtendKandasStatusInput:
    status_id: strawberry.ID
    months: int = strawberry.field(description="1 to 6; a status is extended once.")


@strawberry.input
class EndKandasStatusInput:
    status_id: strawberry.ID
    reason: KandasEndReason  # type: ignore[valid-type]
    ended_on: dt.date


@strawberry.type
class KandasStatusPayload:
    kandas_status: KandasStatus | None
    errors: list[UserError]


@strawberry.input
class RequestReviewInput:
    application_id: strawberry.ID
    grounds: str = strawberry.field(description="Why the decision should be reviewed: 10 to 4000 characters.")


@strawberry.input
class DecideReviewInput:
    review_id: strawberry.ID
    outcome: ReviewOutcome  # type: ignore[valid-type]
    reason: str


@strawberry.type
class DecisionReviewPayload:
    review: DecisionReview | None
    errors: list[UserError]


_status = Payload(m.KandasStatus, KandasStatus.from_row, KandasStatusPayload, "kandas_status").mutation
_review = Payload(m.DecisionReview, DecisionReview.from_row, DecisionReviewPayload, "review").mutation
STATUS = {"status_id": "KandasStatus"}


@strawberry.type
class KandasMutations:
    extend_kandas_status = _status(ExtendKandasStatusInput, kandas.extend_kandas_status, ids=STATUS,
                                   guard=kandas.require_staff)
    end_kandas_status = _status(EndKandasStatusInput, kandas.end_kandas_status, ids=STATUS,
                                guard=kandas.require_staff)
    request_review = _review(RequestReviewInput, reviews.request_review, ids={"application_id": "Application"})
    decide_review = _review(DecideReviewInput, reviews.decide_review, ids={"review_id": "DecisionReview"},
                            guard=reviews.require_staff)
