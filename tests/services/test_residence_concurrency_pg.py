"""Real concurrency on PostgreSQL for SPEC §13 (the harness of
``test_concurrency_pg``: connections released at once by a barrier, in asyncio
tasks and in OS threads): two officers resolving one breach case, a case
confirmed while an officer terminates the contract, and one event retried at
once always end in one termination, one refund and one event."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import models as m
from models.enums import BreachOutcome, BreachStatus, ContractStatus, ResidenceEventKind, TerminationReason
from services import contracts, residence
from services.auth import agency_viewer
from services.errors import ErrorCode
from tests import factories as f
from tests.conftest import BACKEND
from tests.services.test_concurrency_pg import OFFICER, REPEAT, pool, race_tasks, race_threads  # noqa: F401

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="real concurrency is tested on PostgreSQL")

SUPPORT = Decimal("250000.75")
_refs = itertools.count(1)
STATE = ErrorCode.INVALID_STATE.value


async def _open_case(pool: Any) -> tuple[int, int, dict[str, Any]]:
    """An ACTIVE contract with support paid, and an OPEN case its holder's move opened."""
    async with pool.begin() as s:
        contract = await f.make_contract(s, family_size=1, start_date=dt.date(2026, 1, 15))
        person = (await s.execute(select(m.Applicant).join(m.Application, m.Application.applicant_id == m.Applicant.id)
                                  .where(m.Application.id == contract.application_id))).scalar_one()
        await contracts.record_support_payment(s, OFFICER, contract_id=contract.id, measure_code="RELOCATION",
                                               amount=SUPPORT, paid_on=dt.date(2026, 2, 1))
        agency_id = (await s.execute(select(m.Agency.id).where(m.Agency.code == "MVD_MIGRATION"))).scalar_one()
        mvd = await agency_viewer(s, agency_id, "MVD_MIGRATION")
        report = {"citizenship": person.citizenship, "document_number": person.document_number,
                  "kind": ResidenceEventKind.MOVED, "region_code": "KZ-75", "occurred_on": dt.date(2026, 8, 1),
                  "external_id": f"race-{next(_refs)}"}
        event = await residence.record_residence_event(s, mvd, **report)
        return contract.id, event.breach_id, {"viewer": mvd, **report}


async def _ended_once(pool: Any, contract_id: int, breach_id: int) -> tuple[m.ContractTermination, BreachStatus]:
    async with pool() as s:
        rows = await f.termination_rows(s, contract_id)
        status = (await s.execute(select(m.SocialContract.status).where(m.SocialContract.id == contract_id))).scalar_one()
        case = (await s.execute(select(m.ContractBreach.status).where(m.ContractBreach.id == breach_id))).scalar_one()
    assert len(rows) == 1, "one termination, never two"
    assert status == ContractStatus.TERMINATED
    assert rows[0].refund_due == SUPPORT  # the whole support, once
    return rows[0], case


def _resolve(breach_id: int, outcome: BreachOutcome = BreachOutcome.CONFIRMED) -> Any:
    async def work(s: AsyncSession) -> Any:
        return await residence.resolve_breach(s, OFFICER, breach_id=breach_id, outcome=outcome, note="race")
    return work


async def test_officers_resolving_one_case_at_once_terminate_once(pool: Any) -> None:
    for _ in range(REPEAT):
        contract_id, breach_id, _ = await _open_case(pool)
        outcomes = await race_tasks(pool, 8, _resolve(breach_id))
        assert outcomes == Counter({"ok": 1, STATE: 7})
        termination, case = await _ended_once(pool, contract_id, breach_id)
        assert case == BreachStatus.CONFIRMED and termination.reason == TerminationReason.LEFT_REGION


async def test_confirming_and_dismissing_at_once_resolve_once(pool: Any) -> None:
    for _ in range(REPEAT):
        contract_id, breach_id, _ = await _open_case(pool)
        calls = iter(range(6))

        async def work(s: AsyncSession) -> Any:
            outcome = BreachOutcome.CONFIRMED if next(calls) % 2 else BreachOutcome.DISMISSED
            return await _resolve(breach_id, outcome)(s)

        outcomes = await race_tasks(pool, 6, work)
        assert outcomes == Counter({"ok": 1, STATE: 5})
        async with pool() as s:
            case = await s.get(m.ContractBreach, breach_id)
            rows = await f.termination_rows(s, contract_id)
            status = (await s.get(m.SocialContract, contract_id)).status
        assert (case.status == BreachStatus.CONFIRMED) == (len(rows) == 1) == (status == ContractStatus.TERMINATED)


async def test_a_case_confirmed_while_an_officer_terminates_ends_in_one_termination(pool: Any) -> None:
    winners: Counter[str] = Counter()
    for run in range(REPEAT):
        contract_id, breach_id, _ = await _open_case(pool)
        calls = iter(range(run % 2, 8 + run % 2))  # the first racer alternates between the two

        async def work(s: AsyncSession) -> Any:
            if next(calls) % 2:
                return await _resolve(breach_id)(s)
            return await contracts.terminate_contract(s, OFFICER, contract_id=contract_id,
                                                      reason=TerminationReason.VOLUNTARY,
                                                      effective_date=dt.date(2026, 9, 1))

        outcomes = await race_tasks(pool, 8, work)
        assert outcomes == Counter({"ok": 1, STATE: 7})
        termination, case = await _ended_once(pool, contract_id, breach_id)
        # Whoever came first ended it; the case is CONFIRMED only when the confirmation won.
        assert (case == BreachStatus.CONFIRMED) == (termination.reason == TerminationReason.LEFT_REGION)
        assert case in (BreachStatus.CONFIRMED, BreachStatus.OPEN)
        winners[termination.reason.value] += 1
    print(f"\nconfirmation against termination x {REPEAT}: {dict(winners)}")


async def test_resolutions_in_threads_terminate_once(pool: Any, database_url: str) -> None:
    for _ in range(REPEAT):
        contract_id, breach_id, _ = await _open_case(pool)
        outcomes = await asyncio.to_thread(race_threads, database_url, 6, _resolve(breach_id))
        assert outcomes == Counter({"ok": 1, STATE: 5})
        await _ended_once(pool, contract_id, breach_id)


async def test_one_event_retried_at_once_is_recorded_once(pool: Any) -> None:
    for _ in range(REPEAT):
        contract_id, first_case, report = await _open_case(pool)
        async with pool.begin() as s:  # close the first case, so the retried move opens a new one
            await residence.resolve_breach(s, OFFICER, breach_id=first_case, outcome=BreachOutcome.DISMISSED,
                                           note="back")
        viewer = report.pop("viewer")
        report.update(external_id=f"race-{next(_refs)}", occurred_on=dt.date(2026, 9, 1))
        outcomes = await race_tasks(pool, 8, lambda s: residence.record_residence_event(s, viewer, **report))
        assert outcomes == Counter({"ok": 8})
        async with pool() as s:
            events = (await s.execute(select(func.count()).select_from(m.ResidenceEvent).where(
                m.ResidenceEvent.external_id == report["external_id"]))).scalar_one()
            cases = (await s.execute(select(m.ContractBreach.status).where(
                m.ContractBreach.contract_id == contract_id).order_by(m.ContractBreach.id))).scalars().all()
        assert events == 1
        assert cases == [BreachStatus.DISMISSED, BreachStatus.OPEN]
