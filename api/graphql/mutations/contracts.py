"""Social contracts: sign, pay support, terminate, record refunds (staff only).

The staff check comes first, before the IDs are decoded."""

from __future__ import annotations

import strawberry

from api.graphql.inputs import (
    ContractPayload,
    RecordRefundPaymentInput,
    RecordSupportPaymentInput,
    SignContractInput,
    TerminateContractInput,
)
from api.graphql.mutations.base import Payload
from services import contracts as svc

_contract = Payload.of(ContractPayload).mutation
CONTRACT = {"contract_id": "SocialContract"}
STAFF = svc.require_staff


@strawberry.type
class ContractMutations:
    sign_contract = _contract(SignContractInput, svc.sign_contract, ids={"application_id": "Application"}, guard=STAFF)
    record_support_payment = _contract(RecordSupportPaymentInput, svc.record_support_payment, ids=CONTRACT, guard=STAFF)
    terminate_contract = _contract(TerminateContractInput, svc.terminate_contract, ids=CONTRACT, guard=STAFF)
    record_refund_payment = _contract(RecordRefundPaymentInput, svc.record_refund_payment, ids=CONTRACT, guard=STAFF)
