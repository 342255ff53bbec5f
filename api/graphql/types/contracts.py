"""Social contracts: support payments and terminations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

import models as m
from api.graphql.context import Info
from api.graphql.types.applications import Application
from api.graphql.types.common import ContractStatus, FromRow, Node, TerminationReason, linked_field
from api.graphql.types.reference import Region, name_field

if TYPE_CHECKING:
    from api.graphql.types.residence import ContractBreach, ResidenceEvent

_RESIDENCE = "api.graphql.types.residence"


@strawberry.type(description="A measure of state support (reference data; SPEC §6): its cap in MRP, per family "
                              "member or per family.")
class SupportMeasure(FromRow):
    code: str
    name: str = name_field("measure")
    name_kk: str
    name_ru: str
    name_en: str
    cap_mrp: Decimal
    per_family_member: bool


@strawberry.type(description="A termination reason (reference data; SPEC §6): its names and whether the support is "
                              "then refunded.")
class TerminationReasonRule(FromRow):
    code: TerminationReason
    name: str = name_field("reason")
    name_kk: str
    name_ru: str
    name_en: str
    refundable: bool


@strawberry.type
class SupportPayment:
    measure_code: str
    amount: Decimal
    paid_on: dt.date
    measure: SupportMeasure


@strawberry.type
class ContractTermination(FromRow):
    reason: TerminationReason
    effective_date: dt.date
    refund_due: Decimal
    refund_paid: Decimal
    refund_outstanding: Decimal


@strawberry.type
class SocialContract(Node, FromRow):
    number: str
    family_size: int
    start_date: dt.date
    end_date: dt.date
    status: ContractStatus
    total_support: Decimal
    pk: strawberry.Private[int]
    application_id: strawberry.Private[int]
    region_id: strawberry.Private[int]

    application = linked_field(Application, m.Application, "application_id")

    region = linked_field(Region, m.Region, "region_id")

    @strawberry.field
    async def payments(self, info: Info) -> list[SupportPayment]:
        rows = await info.context.loaders.many_by(m.SupportPayment, "contract_id", "paid_on").load(self.pk)
        result = []
        for r in rows:
            measure = await info.context.loaders.get(m.SupportMeasure, r.measure_id)
            result.append(SupportPayment(measure_code=measure.code, amount=r.amount, paid_on=r.paid_on,
                                         measure=SupportMeasure.from_row(measure)))
        return result

    @strawberry.field
    async def termination(self, info: Info) -> ContractTermination | None:
        return await ContractTermination.one_by(info, "contract_id", self.pk)

    @strawberry.field(description="What the address-registration authority reported about the holder, by date (SPEC §13).")
    async def residence_events(self, info: Info) -> list[Annotated[ResidenceEvent, strawberry.lazy(_RESIDENCE)]]:
        from api.graphql.types.residence import ResidenceEvent

        return await ResidenceEvent.many_by(info, "contract_id", self.pk, "occurred_on")

    @strawberry.field(description="The breach cases opened on the contract, oldest first (staff only).")
    async def breaches(self, info: Info) -> list[Annotated[ContractBreach, strawberry.lazy(_RESIDENCE)]]:
        from api.graphql.types.residence import ContractBreach

        return await ContractBreach.many_by(info, "contract_id", self.pk, "opened_at")
