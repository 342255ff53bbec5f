"""Social contracts: sign, pay support, terminate, record refunds (staff only)."""

from __future__ import annotations

import strawberry

import models as m
from api.graphql.context import Info
from api.graphql.inputs import (
    ContractPayload,
    RecordRefundPaymentInput,
    RecordSupportPaymentInput,
    SignContractInput,
    TerminateContractInput,
)
from api.graphql.mutations.base import decode_id, payload_of
from api.graphql.types import SocialContract
from services import contracts


_payload = payload_of(m.SocialContract, SocialContract.from_row, ContractPayload, "contract")


def _contract_id(info: Info, value: strawberry.ID) -> int:
    contracts.require_staff(info.context.viewer)
    return decode_id(value, "SocialContract", "input", "contractId")


@strawberry.type
class ContractMutations:
    @strawberry.mutation
    async def sign_contract(self, info: Info, input: SignContractInput) -> ContractPayload:
        async def action(session):  # type: ignore[no-untyped-def]
            contracts.require_staff(info.context.viewer)
            pk = decode_id(input.application_id, "Application", "input", "applicationId")
            contract = await contracts.sign_contract(session, info.context.viewer, application_id=pk,
                                                     start_date=input.start_date, family_size=input.family_size)
            return contract.id

        return await _payload(info, action)

    @strawberry.mutation
    async def record_support_payment(self, info: Info, input: RecordSupportPaymentInput) -> ContractPayload:
        async def action(session):  # type: ignore[no-untyped-def]
            contract = await contracts.record_support_payment(
                session, info.context.viewer, contract_id=_contract_id(info, input.contract_id),
                measure_code=input.measure_code, amount=input.amount, paid_on=input.paid_on)
            return contract.id

        return await _payload(info, action)

    @strawberry.mutation
    async def terminate_contract(self, info: Info, input: TerminateContractInput) -> ContractPayload:
        async def action(session):  # type: ignore[no-untyped-def]
            contract = await contracts.terminate_contract(
                session, info.context.viewer, contract_id=_contract_id(info, input.contract_id),
                reason=input.reason, effective_date=input.effective_date)
            return contract.id

        return await _payload(info, action)

    @strawberry.mutation
    async def record_refund_payment(self, info: Info, input: RecordRefundPaymentInput) -> ContractPayload:
        async def action(session):  # type: ignore[no-untyped-def]
            contract = await contracts.record_refund_payment(
                session, info.context.viewer, contract_id=_contract_id(info, input.contract_id),
                amount=input.amount, paid_on=input.paid_on)
            return contract.id

        return await _payload(info, action)
