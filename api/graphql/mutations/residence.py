"""Living in the region (SPEC §13): the address-registration authority records
residence events (its API key, granted RESIDENCE); officers resolve breach cases."""

from __future__ import annotations

import datetime as dt

import strawberry

from api.graphql.mutations.base import Payload
from api.graphql.types import BreachOutcome, ContractBreach, ResidenceEvent, ResidenceEventKind
from api.graphql.types.common import payload_type
from services import residence as svc


@strawberry.input(description="A report of the address-registration authority. The person is matched by document "
                              "to the applicant holding an ACTIVE contract.")
class RecordResidenceEventInput:
    citizenship: str
    document_number: str
    kind: ResidenceEventKind
    region_code: str
    occurred_on: dt.date
    external_id: str = strawberry.field(description=(
        "Your own reference of the event: sending it again records nothing and answers the first event; the same "
        "reference with other content is DUPLICATE."))


ResidenceEventPayload = payload_type("ResidenceEventPayload", "event", ResidenceEvent)


@strawberry.input
class ResolveBreachInput:
    breach_id: strawberry.ID
    outcome: BreachOutcome
    note: str = strawberry.field(description="Why the case is resolved so (1-2000 characters).")


ContractBreachPayload = payload_type("ContractBreachPayload", "breach", ContractBreach)


_event = Payload.of(ResidenceEventPayload).mutation
_breach = Payload.of(ContractBreachPayload).mutation


@strawberry.type
class ResidenceMutations:
    record_residence_event = _event(RecordResidenceEventInput, svc.record_residence_event, guard=svc.require_reporter)
    resolve_breach = _breach(ResolveBreachInput, svc.resolve_breach, ids={"breach_id": "ContractBreach"},
                             guard=svc.require_officer)
