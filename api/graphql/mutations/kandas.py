"""Kandas status (SPEC §12: extend, end; staff only, checked before the IDs are
decoded) and reviews of a decision (SPEC §14: the applicant or an officer asks,
another officer or an administrator decides). Their inputs and payloads are here."""

from __future__ import annotations

import datetime as dt

import strawberry

from api.graphql.inputs import OnApplication
from api.graphql.mutations.base import Payload
from api.graphql.types.common import payload_type
from api.graphql.types.kandas import DecisionReview, KandasEndReason, KandasStatus, ReviewOutcome
from services import kandas, reviews


@strawberry.input
class OnKandasStatus:
    """What an input on one kandas status starts with (a base, not a type of the schema)."""

    status_id: strawberry.ID


@strawberry.input
class ExtendKandasStatusInput(OnKandasStatus):
    months: int = strawberry.field(description="1 to 6; a status is extended once.")


@strawberry.input
class EndKandasStatusInput(OnKandasStatus):
    reason: KandasEndReason  # type: ignore[valid-type]
    ended_on: dt.date


KandasStatusPayload = payload_type("KandasStatusPayload", "kandas_status", KandasStatus)


@strawberry.input
class RequestReviewInput(OnApplication):
    grounds: str = strawberry.field(description="Why the decision should be reviewed: 10 to 4000 characters.")


@strawberry.input
class DecideReviewInput:
    review_id: strawberry.ID
    outcome: ReviewOutcome  # type: ignore[valid-type]
    reason: str


DecisionReviewPayload = payload_type("DecisionReviewPayload", "review", DecisionReview)


_status = Payload.of(KandasStatusPayload).mutation
_review = Payload.of(DecisionReviewPayload).mutation
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
