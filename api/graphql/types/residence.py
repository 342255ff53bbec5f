"""Living in the region (SPEC §13): residence events and breach cases."""

from __future__ import annotations

import datetime as dt

import strawberry

import models as m
from api.graphql.context import Info
from api.graphql.types.common import FromRow, Node, linked, linked_field
from api.graphql.types.contracts import SocialContract
from api.graphql.types.reference import Agency, Region
from models import enums

ResidenceEventKind = strawberry.enum(  # type: ignore[misc]
    enums.ResidenceEventKind, description="What the address-registration authority reports about a person.")
BreachStatus = strawberry.enum(enums.BreachStatus, description="A breach case: OPEN until an officer resolves it.")  # type: ignore[misc]
BreachOutcome = strawberry.enum(  # type: ignore[misc]
    enums.BreachOutcome,
    description="CONFIRMED terminates the contract (LEFT_REGION, the whole support to refund); DISMISSED leaves it "
                "ACTIVE.")


@strawberry.type(description="A report of the address-registration authority about a contract holder (SPEC §13). "
                             "An agency reads the events it reported; an applicant those of their own contract.")
class ResidenceEvent(Node, FromRow):
    kind: ResidenceEventKind
    occurred_on: dt.date
    external_id: str = strawberry.field(description="The reporter's own reference: a retry with it records nothing new.")
    citizenship: str
    document_number: str
    recorded_at: dt.datetime
    pk: strawberry.Private[int]
    region_id: strawberry.Private[int]
    agency_id: strawberry.Private[int]
    contract_id: strawberry.Private[int]
    breach_id: strawberry.Private[int | None]

    region = linked_field(Region, m.Region, "region_id",
                          description="The region the person registered in, moved to or left.")

    reported_by = linked_field(Agency, m.Agency, "agency_id", description="The agency that reported the event.")

    contract = linked_field(SocialContract, m.SocialContract, "contract_id", optional=True,
                            description="The ACTIVE contract the person held when the event was reported.")

    @strawberry.field(description="The breach case this event opened or was attached to (staff only).")
    async def breach(self, info: Info) -> ContractBreach | None:
        return await linked(info, ContractBreach, m.ContractBreach, self.breach_id)


@strawberry.type(description="A case opened on a contract by a move out of its region or a deregistration before "
                             "its end date (SPEC §13; staff only).")
class ContractBreach(Node, FromRow):
    status: BreachStatus
    opened_on: dt.date = strawberry.field(
        description="The date of the event that opened the case: a confirmed breach terminates the contract then.")
    opened_at: dt.datetime
    resolved_at: dt.datetime | None
    resolved_by: str | None
    note: str | None
    pk: strawberry.Private[int]
    contract_id: strawberry.Private[int]

    contract = linked_field(SocialContract, m.SocialContract, "contract_id")

    @strawberry.field(description="The event that opened the case and those reported while it was open, by date.")
    async def events(self, info: Info) -> list[ResidenceEvent]:
        return await ResidenceEvent.many_by(info, "breach_id", self.pk, "occurred_on")
