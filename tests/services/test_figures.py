"""The dashboard's figures (services.figures): support paid and refunds
outstanding by region and measure, applications by month and status."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from core.db import transaction
from models.enums import TerminationReason
from services import contracts, figures
from services.viewer import SYSTEM
from tests import factories as f


def test_a_refund_is_split_over_measures_to_the_cent() -> None:
    parts = figures.split_by_share(Decimal("100.00"), {"A": Decimal("1"), "B": Decimal("1"), "C": Decimal("1")})
    assert parts == {"A": Decimal("33.33"), "B": Decimal("33.33"), "C": Decimal("33.34")}
    assert sum(parts.values()) == Decimal("100.00")
    assert figures.split_by_share(Decimal("5.00"), {}) == {"(no support recorded)": Decimal("5.00")}


async def test_support_and_refunds_by_region_and_measure(sessions: Any) -> None:
    async with transaction(sessions) as session:
        pavlodar = await f.make_contract(session, region_code="KZ-55")
        kostanay = await f.make_contract(session, region_code="KZ-39")
        for contract, measure, amount in [(pavlodar, "RELOCATION", "100000.00"), (pavlodar, "HOUSING_RENT", "30000.00"),
                                          (kostanay, "RELOCATION", "50000.00")]:
            await contracts.record_support_payment(session, SYSTEM, contract_id=contract.id, measure_code=measure,
                                                   amount=Decimal(amount), paid_on=dt.date(2026, 3, 10))
        await contracts.terminate_contract(session, SYSTEM, contract_id=pavlodar.id,
                                           reason=TerminationReason.LEFT_REGION, effective_date=dt.date(2026, 3, 20))
        await contracts.record_refund_payment(session, SYSTEM, contract_id=pavlodar.id, amount=Decimal("65000.00"),
                                              paid_on=dt.date(2026, 3, 25))
    async with sessions() as session:
        support, refunds = await figures.support_and_refunds(session)
    assert support.regions == ["Kostanay", "Pavlodar"]
    assert support.cells == {("Pavlodar", "RELOCATION"): Decimal("100000.00"), ("Pavlodar", "HOUSING_RENT"): Decimal("30000.00"),
                             ("Kostanay", "RELOCATION"): Decimal("50000.00")}
    assert support.total == Decimal("180000.00") and support.measure_total("RELOCATION") == Decimal("150000.00")
    # 130 000 due, 65 000 paid: 65 000 outstanding, split 100:30 over the measures
    assert refunds.regions == ["Pavlodar"]
    assert refunds.cells == {("Pavlodar", "RELOCATION"): Decimal("50000.00"), ("Pavlodar", "HOUSING_RENT"): Decimal("15000.00")}
    assert refunds.total == Decimal("65000.00")


async def test_applications_by_month_of_submission_in_almaty_time(sessions: Any) -> None:
    async with transaction(sessions) as session:
        # 20:00 UTC on 31 January is 1 February in Almaty
        await f.make_application(session, submitted_at=dt.datetime(2026, 1, 31, 20, 0, tzinfo=dt.timezone.utc))
        await f.make_application(session, submitted_at=dt.datetime(2026, 1, 15, 8, 0, tzinfo=dt.timezone.utc))
    async with sessions() as session:
        months = await figures.applications_by_month(session)
    assert months["months"] == ["2026-01", "2026-02"]
    submitted = next(s for s in months["series"] if s["status"] == "SUBMITTED")
    assert submitted["counts"] == [1, 1]
