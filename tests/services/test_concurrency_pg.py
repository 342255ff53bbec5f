"""Real concurrency on PostgreSQL (SPEC §5, §6): many connections, each in its own
transaction, released at the same moment by a barrier; asyncio tasks on one
pooled engine, and OS threads each with its own event loop and engine.

Each scenario is repeated ``REPEAT`` times inside its test (QONYS_CONCURRENCY_REPEAT
overrides it), each time on fresh rows (a new quota, a new contract). Skipped
on SQLite, whose single writer lock serialises everything."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import os
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import models as m
from core.db import create_engine, session_factory
from models.enums import ApplicationStatus, ContractStatus, LanguageLevel, Route, TerminationReason
from services import applications
from services import contracts as contract_service
from services import quotas as quota_service
from services.quotas import selection
from services.errors import ErrorCode, ServiceError
from services.viewer import Viewer
from tests import factories as f
from tests.conftest import BACKEND, make_settings

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="real concurrency is tested on PostgreSQL")

REPEAT = int(os.environ.get("QONYS_CONCURRENCY_REPEAT", "5"))
OFFICER = Viewer(subject="officer-race", role="OFFICER")
DEFICIT_REGIONS = ["KZ-10", "KZ-11", "KZ-23", "KZ-27", "KZ-39", "KZ-55", "KZ-59", "KZ-63"]

Outcome = str  # "ok" or an ErrorCode value
Work = Callable[[AsyncSession], Awaitable[Any]]


# Every scenario run gets a quota of its own: a fresh (region, year) for KANDAS
# (8 regions x 73 years), a fresh year for LABOUR.
_kandas_slots = itertools.count()
_labour_years = itertools.count(2027)


def next_kandas_slot() -> tuple[str, int]:
    n = next(_kandas_slots)
    return DEFICIT_REGIONS[n % len(DEFICIT_REGIONS)], 2027 + n // len(DEFICIT_REGIONS)


@pytest.fixture
async def pool(database_url: str):  # type: ignore[no-untyped-def]
    """A session factory on its own engine, with enough connections for every racer at once."""
    engine = create_engine(make_settings(database_url, pool_size=25))
    yield session_factory(engine)
    await engine.dispose()


async def _one(sessions: async_sessionmaker[AsyncSession], work: Work, wait: Callable[[], Awaitable[None]]) -> Outcome:
    try:
        async with sessions() as session:
            async with session.begin():
                # Hold a connection inside an open transaction before the start signal,
                # so every racer is really on the database when the others are.
                await session.execute(select(1))
                await wait()
                await work(session)
        return "ok"
    except ServiceError as exc:
        return exc.errors[0].code.value


async def race_tasks(sessions: async_sessionmaker[AsyncSession], n: int, work: Work) -> Counter[Outcome]:
    """``n`` asyncio tasks, each on its own connection and transaction."""
    barrier = asyncio.Barrier(n)

    async def wait() -> None:
        await barrier.wait()

    results = await asyncio.gather(*(_one(sessions, work, wait) for _ in range(n)))
    return Counter(results)


def race_threads(database_url: str, n: int, work: Work) -> Counter[Outcome]:
    """``n`` OS threads, each with its own event loop, engine and connection."""
    barrier = threading.Barrier(n, timeout=30)
    results: list[Outcome] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def thread_main() -> None:
        async def main() -> Outcome:
            engine = create_engine(make_settings(database_url, pool_size=1))
            try:
                async def wait() -> None:
                    await asyncio.get_running_loop().run_in_executor(None, barrier.wait)

                return await _one(session_factory(engine), work, wait)
            finally:
                await engine.dispose()

        try:
            outcome = asyncio.run(main())
            with lock:
                results.append(outcome)
        except BaseException as exc:  # noqa: BLE001 - reported below
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=thread_main, name=f"racer-{i}") for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(results) == n
    return Counter(results)


async def scalar(sessions: async_sessionmaker[AsyncSession], stmt: Any) -> Any:
    async with sessions() as s:
        return (await s.execute(stmt)).scalar_one()


# ---------------------------------------------------------------- selection rounds


async def _setup_round(sessions: async_sessionmaker[AsyncSession], capacity: int) -> tuple[int, list[int]]:
    """A new small KANDAS quota and more PASSED families than it holds; the approvals one round would make.

    Families passed over in earlier runs on the same region are candidates too: the
    expectation is computed from the database as it is."""
    region, year = next_kandas_slot()
    async with sessions.begin() as s:
        quota = await f.kandas_quota(s, region, year, capacity=capacity, used=0)
        for i, (score, size) in enumerate([(640, 3), (630, 4), (620, 2), (620, 5), (610, 1), (600, 3),
                                           (590, 2), (580, 1), (570, 4), (560, 1), (550, 2), (540, 1)]):
            await f.make_passed_application(s, region_code=region, score=score, family_size=size,
                                            submitted_at=dt.datetime(2026, 2, 1, 9, i, tzinfo=dt.timezone.utc))
        expected, _ = quota_service.plan_round(await quota_service.ranked_candidates(s, quota), capacity)
    return quota.id, sorted(p.candidate.application_id for p in expected)


async def _check_round_invariants(sessions: async_sessionmaker[AsyncSession], quota_id: int, capacity: int) -> list[int]:
    async with sessions() as s:
        used, booked = await quota_service.quota_usage(s, quota_id)
        approved = (await s.execute(select(m.Application.id).where(
            m.Application.quota_id == quota_id, m.Application.status == ApplicationStatus.APPROVED))).scalars().all()
        approval_rows = (await s.execute(
            select(m.SelectionRoundApproval.application_id)
            .join(m.SelectionRound, m.SelectionRound.id == m.SelectionRoundApproval.round_id)
            .where(m.SelectionRound.quota_id == quota_id))).scalars().all()
        seats_recorded = (await s.execute(
            select(func.coalesce(func.sum(m.SelectionRound.seats_taken), 0)).where(m.SelectionRound.quota_id == quota_id)
        )).scalar_one()
    assert used <= capacity
    assert used == booked == seats_recorded
    assert len(approval_rows) == len(set(approval_rows)), "an application was approved twice"
    assert sorted(approval_rows) == sorted(approved)
    return sorted(approved)


async def test_concurrent_selection_rounds_never_exceed_capacity(pool: Any) -> None:
    started = time.perf_counter()
    for _ in range(REPEAT):
        capacity = 11
        quota_id, expected = await _setup_round(pool, capacity)
        outcomes = await race_tasks(pool, 8, lambda s: quota_service.run_selection_round(s, OFFICER, quota_id=quota_id))
        assert outcomes == Counter({"ok": 8})
        approved = await _check_round_invariants(pool, quota_id, capacity)
        # The rounds ran one after another: together they approved what one round would.
        assert approved == expected
    print(f"\n8 concurrent rounds x {REPEAT}: {time.perf_counter() - started:.2f}s")


async def test_concurrent_rounds_hold_even_without_the_quota_lock(pool: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Defence in depth: with the FOR UPDATE on the quota switched off, the conditional
    seat update and the conditional status update still keep every invariant (a
    round may then give up with CONFLICT, writing nothing)."""
    original = selection._load_quota

    async def no_lock(session: AsyncSession, quota_id: int, *, lock: bool) -> m.Quota:
        return await original(session, quota_id, lock=False)

    monkeypatch.setattr(selection, "_load_quota", no_lock)
    replans = Counter[str]()
    original_approve = selection._approve

    async def counting_approve(*args: Any, **kwargs: Any) -> None:
        try:
            await original_approve(*args, **kwargs)
        except selection._Replan:
            replans["replan"] += 1
            raise

    monkeypatch.setattr(selection, "_approve", counting_approve)
    for _ in range(REPEAT):
        capacity = 11
        quota_id, _ = await _setup_round(pool, capacity)
        outcomes = await race_tasks(pool, 8, lambda s: quota_service.run_selection_round(s, OFFICER, quota_id=quota_id))
        assert set(outcomes) <= {"ok", "CONFLICT"} and outcomes["ok"] >= 1
        await _check_round_invariants(pool, quota_id, capacity)
    # Typically 7 per run: every round but the first planned on a stale view and was refused.
    print(f"\nunlocked rounds x {REPEAT}: {replans['replan']} plans refused by the conditional updates and redone")


async def test_concurrent_selection_rounds_in_threads(pool: Any, database_url: str) -> None:
    started = time.perf_counter()
    for _ in range(REPEAT):
        capacity = 9
        quota_id, expected = await _setup_round(pool, capacity)
        outcomes = await asyncio.to_thread(
            race_threads, database_url, 8, lambda s: quota_service.run_selection_round(s, OFFICER, quota_id=quota_id))
        assert outcomes == Counter({"ok": 8})
        assert await _check_round_invariants(pool, quota_id, capacity) == expected
    print(f"\n8 rounds in OS threads x {REPEAT}: {time.perf_counter() - started:.2f}s")


# ---------------------------------------------------------------- LABOUR seats


async def _labour_setup(pool: Any) -> tuple[int, int, int, int]:
    year = next(_labour_years)
    async with pool.begin() as s:
        quota = await f.labour_quota(s, "KZ-39", "2211", year=year, capacity=5, used=0)
    return quota.id, quota.region_id, quota.occupation_id, year


async def test_twenty_concurrent_labour_seats_on_five(pool: Any) -> None:
    quota_id, region_id, occupation_id, year = await _labour_setup(pool)
    started = time.perf_counter()
    for _ in range(REPEAT):
        async with pool.begin() as s:
            await s.execute(update(m.Quota).where(m.Quota.id == quota_id).values(used=0))
        outcomes = await race_tasks(pool, 20, lambda s: quota_service.take_labour_seat(
            s, region_id=region_id, occupation_id=occupation_id, year=year))
        assert outcomes == Counter({"ok": 5, ErrorCode.QUOTA_EXHAUSTED.value: 15})
        assert await scalar(pool, select(m.Quota.used).where(m.Quota.id == quota_id)) == 5
    print(f"\n20 LABOUR seat takes x {REPEAT}: {time.perf_counter() - started:.2f}s")


async def test_twenty_labour_seats_in_threads(pool: Any, database_url: str) -> None:
    quota_id, region_id, occupation_id, year = await _labour_setup(pool)
    for _ in range(REPEAT):
        async with pool.begin() as s:
            await s.execute(update(m.Quota).where(m.Quota.id == quota_id).values(used=0))
        outcomes = await asyncio.to_thread(race_threads, database_url, 20, lambda s: quota_service.take_labour_seat(
            s, region_id=region_id, occupation_id=occupation_id, year=year))
        assert outcomes == Counter({"ok": 5, ErrorCode.QUOTA_EXHAUSTED.value: 15})
        assert await scalar(pool, select(m.Quota.used).where(m.Quota.id == quota_id)) == 5


# ---------------------------------------------------------------- contracts


async def _contract_with_support(pool: Any, family_size: int = 1, amount: str = "100000.00") -> int:
    async with pool.begin() as s:
        contract = await f.make_contract(s, family_size=family_size, start_date=dt.date(2026, 1, 15))
    async with pool.begin() as s:
        await contract_service.record_support_payment(s, OFFICER, contract_id=contract.id, measure_code="HOUSING_RENT",
                                                      amount=Decimal(amount), paid_on=dt.date(2026, 2, 1))
    return contract.id


async def test_ten_concurrent_terminations_one_wins(pool: Any) -> None:
    started = time.perf_counter()
    for _ in range(REPEAT):
        contract_id = await _contract_with_support(pool)
        outcomes = await race_tasks(pool, 10, lambda s: contract_service.terminate_contract(
            s, OFFICER, contract_id=contract_id, reason=TerminationReason.LEFT_REGION,
            effective_date=dt.date(2026, 9, 1)))
        assert outcomes == Counter({"ok": 1, ErrorCode.INVALID_STATE.value: 9})
        async with pool() as s:
            rows = await f.termination_rows(s, contract_id)
            status = (await s.execute(select(m.SocialContract.status).where(m.SocialContract.id == contract_id))).scalar_one()
        assert len(rows) == 1 and rows[0].refund_due == Decimal("100000.00")
        assert status == ContractStatus.TERMINATED
    print(f"\n10 terminations x {REPEAT}: {time.perf_counter() - started:.2f}s")


async def test_concurrent_support_payments_never_pass_the_cap(pool: Any) -> None:
    # RELOCATION for a family of 1 in 2026: 70 × 4325 = 302750.00; six racers of 100000.00 each.
    cap = Decimal("302750.00")
    started = time.perf_counter()
    for _ in range(REPEAT):
        async with pool.begin() as s:
            contract = await f.make_contract(s, family_size=1, start_date=dt.date(2026, 1, 15))
        outcomes = await race_tasks(pool, 6, lambda s: contract_service.record_support_payment(
            s, OFFICER, contract_id=contract.id, measure_code="RELOCATION", amount=Decimal("100000.00"),
            paid_on=dt.date(2026, 3, 1)))
        assert outcomes == Counter({"ok": 3, ErrorCode.INVALID_INPUT.value: 3})
        ledger = await scalar(pool, select(func.sum(m.SupportPayment.amount))
                              .where(m.SupportPayment.contract_id == contract.id))
        total = await scalar(pool, select(m.SocialContract.total_support).where(m.SocialContract.id == contract.id))
        assert ledger == total == Decimal("300000.00") <= cap
    print(f"\n6 payments racing a cap x {REPEAT}: {time.perf_counter() - started:.2f}s")


async def test_payments_racing_a_termination_are_all_refunded(pool: Any) -> None:
    """Whatever order they land in, the refund due is the whole ledger at termination
    and nothing is paid into a terminated contract."""
    for _ in range(REPEAT):
        async with pool.begin() as s:
            contract = await f.make_contract(s, family_size=3, start_date=dt.date(2026, 1, 15))
        contract_id = contract.id
        calls = iter(range(10))

        async def work(s: AsyncSession) -> Any:
            if next(calls) == 4:
                return await contract_service.terminate_contract(
                    s, OFFICER, contract_id=contract_id, reason=TerminationReason.BREACH,
                    effective_date=dt.date(2026, 6, 1))
            return await contract_service.record_support_payment(
                s, OFFICER, contract_id=contract_id, measure_code="HOUSING_RENT", amount=Decimal("1000.01"),
                paid_on=dt.date(2026, 3, 1))

        outcomes = await race_tasks(pool, 10, work)
        assert outcomes["ok"] >= 1 and set(outcomes) <= {"ok", ErrorCode.INVALID_STATE.value}
        async with pool() as s:
            rows = await f.termination_rows(s, contract_id)
            ledger = (await s.execute(select(func.coalesce(func.sum(m.SupportPayment.amount), 0))
                                      .where(m.SupportPayment.contract_id == contract_id))).scalar_one()
            total = (await s.execute(select(m.SocialContract.total_support)
                                     .where(m.SocialContract.id == contract_id))).scalar_one()
        assert len(rows) == 1
        assert rows[0].refund_due == total == Decimal(ledger)
        assert outcomes["ok"] - 1 == int(total / Decimal("1000.01"))


async def test_concurrent_signatures_make_one_contract(pool: Any) -> None:
    for _ in range(REPEAT):
        async with pool.begin() as s:
            application = await f.make_approved_kandas(s, family_size=2)
        app_id = application.id
        outcomes = await race_tasks(pool, 6, lambda s: contract_service.sign_contract(
            s, OFFICER, application_id=app_id, start_date=dt.date(2026, 3, 1), family_size=2))
        assert outcomes == Counter({"ok": 1, ErrorCode.DUPLICATE.value: 5})
        assert await scalar(pool, select(func.count()).select_from(m.SocialContract)
                            .where(m.SocialContract.application_id == app_id)) == 1


async def test_one_certificate_raced_by_six_applicants_serves_one(pool: Any) -> None:
    """SPEC §8 without a unique constraint (one certificate may be on several applications of
    one applicant): the certificate's advisory lock lets one applicant have it."""
    for n in range(REPEAT):
        async with pool.begin() as s:
            queue = [(await f.make_application(s, route=Route.GENERAL, region_code="KZ-75")).id for _ in range(6)]
        certificate = f"KT-2026/RACE{n:04d}"
        outcomes = await race_tasks(pool, 6, lambda s: applications.record_language_test(
            s, OFFICER, application_id=queue.pop(), level=LanguageLevel.B1, listening_percent=60,
            reading_percent=60, certificate_number=certificate, taken_on=dt.date(2026, 11, 1)))
        assert outcomes == Counter({"ok": 1, ErrorCode.DUPLICATE.value: 5})
        assert await scalar(pool, select(func.count()).select_from(m.LanguageTest)
                            .where(m.LanguageTest.certificate_number == certificate)) == 1


async def test_concurrent_refunds_never_pass_the_outstanding(pool: Any) -> None:
    for _ in range(REPEAT):
        contract_id = await _contract_with_support(pool, amount="1000.00")
        async with pool.begin() as s:
            await contract_service.terminate_contract(s, OFFICER, contract_id=contract_id,
                                                      reason=TerminationReason.VOLUNTARY,
                                                      effective_date=dt.date(2026, 9, 1))
        outcomes = await race_tasks(pool, 6, lambda s: contract_service.record_refund_payment(
            s, OFFICER, contract_id=contract_id, amount=Decimal("300.00"), paid_on=dt.date(2026, 10, 1)))
        assert outcomes == Counter({"ok": 3, ErrorCode.INVALID_INPUT.value: 3})
        async with pool() as s:
            (row,) = await f.termination_rows(s, contract_id)
            paid = (await s.execute(select(func.sum(m.RefundPayment.amount))
                                    .where(m.RefundPayment.contract_id == contract_id))).scalar_one()
        assert row.refund_due == Decimal("1000.00")
        assert row.refund_paid == Decimal(paid) == Decimal("900.00")
