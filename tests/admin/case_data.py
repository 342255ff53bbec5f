"""A whole case for the admin panel's tests: an application taken through every
stage over GraphQL (language test, questionnaire, checks, interview, score with
its reasons), approved by a selection round, with a contract, support paid,
termination and a refund — all written by the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from api.graphql import ids
from core.db import transaction
from models.enums import TerminationReason
from services import contracts, quotas
from services.viewer import SYSTEM
from tests import factories as f
from tests.helpers_pipeline import SUBMIT, submit_input, take_through


async def full_case(gql: Any, sessions: Any) -> dict[str, Any]:
    """The case's application (its id, number and applicant's name) and its contract id."""
    data = await gql.ok(SUBMIT, {"input": submit_input(full_name="Aigerim Case-Study")}, role="OFFICER",
                        subject="officer-1")
    application = data["submitApplication"]["application"]
    await take_through(gql, application["id"])
    app_id = ids.decode_as(application["id"], "Application")
    async with transaction(sessions) as session:
        quota = await f.kandas_quota(session, "KZ-55", 2026, capacity=50, used=0)
        await quotas.run_selection_round(session, SYSTEM, quota_id=quota.id)
        contract = await contracts.sign_contract(session, SYSTEM, application_id=app_id,
                                                 start_date=dt.date(2026, 3, 1))
        await contracts.record_support_payment(session, SYSTEM, contract_id=contract.id, measure_code="RELOCATION",
                                               amount=Decimal("100000.00"), paid_on=dt.date(2026, 3, 10))
        await contracts.terminate_contract(session, SYSTEM, contract_id=contract.id,
                                           reason=TerminationReason.LEFT_REGION, effective_date=dt.date(2026, 3, 20))
        await contracts.record_refund_payment(session, SYSTEM, contract_id=contract.id, amount=Decimal("40000.00"),
                                              paid_on=dt.date(2026, 3, 25))
    return {"id": app_id, "number": application["number"], "name": "Aigerim Case-Study", "contract_id": contract.id}
