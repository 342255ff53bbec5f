"""Work permit approvals under real concurrency on PostgreSQL (SPEC §15 with §5): many
connections, each in its own transaction, released at once by a barrier. A permit's
approval takes its workers as seats with the one conditional UPDATE that LABOUR
approvals use, so permits racing each other, or racing LABOUR applications, never
overbook the quota."""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

import models as m
from models.enums import ApplicationStatus, Decision, PermitCategory, PermitStatus, Route, StaffCategory
from services import applications
from services import quotas as quota_service
from services.labour import employers, permits
from services.reference_data import DEFICIT_OCCUPATIONS
from tests import factories as f
from tests.conftest import BACKEND
from tests.services.test_concurrency_pg import OFFICER, REPEAT, pool, race_tasks  # noqa: F401  (the pool fixture)
from tests.services.test_labour import next_bin

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="real concurrency is tested on PostgreSQL")

# A (region, occupation) of the seeded deficit lists for each scenario run: its own LABOUR quota of 2026.
_pairs = itertools.chain.from_iterable(((region, code) for code, _ in entries)
                                       for region, entries in DEFICIT_OCCUPATIONS.items())


async def _permits(pool: Any, region: str, occupation: str, capacity: int, count: int, workers: int) -> tuple[int, list[int]]:
    """A fresh LABOUR quota of ``capacity`` and ``count`` REQUESTED permits of ``workers`` each."""
    async with pool.begin() as s:
        quota = await f.labour_quota(s, region, occupation, year=2026, capacity=capacity, used=0)
        employer = await employers.register_employer(
            s, OFFICER, bin=next_bin(), name="Race Works JSC", region_code=region,
            local_staff=[employers.StaffCount(StaffCategory.CAT3, 100_000)])
        ids = [(await permits.request_work_permit(
            s, OFFICER, employer_id=employer.id, category=PermitCategory.CAT3, occupation_code=occupation,
            region_code=region, workers=workers, valid_months=12)).id for _ in range(count)]
    return quota.id, ids


async def _used(pool: Any, quota_id: int) -> tuple[int, int]:
    async with pool() as s:
        return await quota_service.quota_usage(s, quota_id)


async def test_twenty_permit_approvals_race_for_fifty_seats(pool: Any) -> None:
    for _ in range(REPEAT):
        region, occupation = next(_pairs)
        quota_id, ids = await _permits(pool, region, occupation, capacity=50, count=20, workers=5)
        queue = list(ids)

        async def approve(s: Any) -> None:
            await permits.decide_work_permit(s, OFFICER, permit_id=queue.pop(), decision=Decision.APPROVE)

        outcomes = await race_tasks(pool, 20, approve)
        assert outcomes == Counter({"ok": 10, "QUOTA_EXHAUSTED": 10})
        assert await _used(pool, quota_id) == (50, 50)
        async with pool() as s:
            statuses = Counter((await s.execute(select(m.WorkPermit.status).where(m.WorkPermit.id.in_(ids))))
                               .scalars())
        # the refused ones changed nothing: still REQUESTED
        assert statuses == Counter({PermitStatus.APPROVED: 10, PermitStatus.REQUESTED: 10})


async def test_permit_approvals_racing_labour_approvals_never_overbook(pool: Any) -> None:
    for _ in range(REPEAT):
        region, occupation = next(_pairs)
        capacity = 20
        quota_id, permit_ids = await _permits(pool, region, occupation, capacity=capacity, count=6, workers=3)
        async with pool.begin() as s:
            app_ids = [(await f.make_passed_application(s, route=Route.LABOUR, region_code=region,
                                                        occupation_code=occupation, family_size=1)).id
                       for _ in range(10)]
        work = [("permit", pk) for pk in permit_ids] + [("application", pk) for pk in app_ids]

        async def approve(s: Any) -> None:
            kind, pk = work.pop()
            if kind == "permit":
                await permits.decide_work_permit(s, OFFICER, permit_id=pk, decision=Decision.APPROVE)
            else:
                await applications.decide_application(s, OFFICER, application_id=pk, decision=Decision.APPROVE)

        outcomes = await race_tasks(pool, len(work), approve)
        used, booked = await _used(pool, quota_id)
        async with pool() as s:
            approved_permits = (await s.execute(select(m.WorkPermit.id).where(
                m.WorkPermit.id.in_(permit_ids), m.WorkPermit.status == PermitStatus.APPROVED))).scalars().all()
            approved_apps = (await s.execute(select(m.Application.id).where(
                m.Application.id.in_(app_ids), m.Application.status == ApplicationStatus.APPROVED))).scalars().all()
        assert used == booked == 3 * len(approved_permits) + len(approved_apps) <= capacity
        assert outcomes["ok"] == len(approved_permits) + len(approved_apps)
        assert set(outcomes) <= {"ok", "QUOTA_EXHAUSTED"}
        # demand (18 + 10) exceeds the 20 seats: the quota is filled to within one permit of capacity
        assert used > capacity - 3
