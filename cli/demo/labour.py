"""Demo employers, work permits and violations (SPEC §15), made through the
services themselves (``services.labour``), so every rule holds: employers of every
size (a shop of a dozen to a plant of thousands), permits in every state and
category (some refused by the quota they no longer fit), violations of employers
(one of them suspended by a second one) and of a few applicants."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.text import t
from models import Application, DeficitOccupation, Occupation, Region, Score, Violation
from models.base import today_almaty
from models.enums import ApplicationStatus, Decision, PermitCategory, StaffCategory, ViolationKind
from services.errors import ServiceError
from services.labour import employers, permits, rules, violations
from services.viewer import SYSTEM

LABOUR_TABLES: tuple[str, ...] = ("employer", "work_permit", "violation")
# (name, local staff in categories 1-4): every size
SIZES: tuple[tuple[str, tuple[int, int, int, int]], ...] = (
    ("Dala Bakery LLP", (2, 3, 10, 12)),
    ("Irtysh Welding LLP", (5, 10, 80, 120)),
    ("Saryarka Construction JSC", (30, 60, 600, 900)),
    ("Ekibastuz Power Plant JSC", (120, 250, 3000, 4500)),
)
COMPANY_WORDS = ("Altyn", "Kokshe", "Zhaiyk", "Turan", "Nomad", "Steppe", "Tengri", "Aksu", "Baikonur", "Ertis")


def _bin(rng: random.Random) -> str:
    while True:
        made = rules.make_bin(f"{rng.randrange(10**10, 10**11):011d}")
        if made is not None:
            return made


async def _request(session: AsyncSession, counts: Counter[str], **values: object) -> object | None:
    """A request the rules may refuse (a floor, the ICT cap): refused ones are skipped."""
    try:
        async with session.begin_nested():
            permit = await permits.request_work_permit(session, SYSTEM, **values)  # type: ignore[arg-type]
    except ServiceError:
        return None
    counts["work_permit"] += 1
    return permit


async def make_labour(session: AsyncSession, *, employers_count: int, seed: int) -> Counter[str]:
    """``employers_count`` employers with their permits and violations; returns the rows made per table."""
    rng = random.Random(f"qonys-demo-labour:{seed}")
    today = today_almaty()
    counts: Counter[str] = Counter()
    listed = (await session.execute(
        select(Region.code, Occupation.code).join(DeficitOccupation, DeficitOccupation.region_id == Region.id)
        .join(Occupation, Occupation.id == DeficitOccupation.occupation_id)
        .where(DeficitOccupation.year == today.year).order_by(Region.code, Occupation.code))).all()
    any_occupation = (await session.execute(select(Occupation.code).order_by(Occupation.code))).scalars().first()
    if any_occupation is None:
        return counts
    for i in range(employers_count):
        name, staff = SIZES[i % len(SIZES)]
        region, occupation = listed[i % len(listed)] if listed else ("KZ-71", any_occupation)
        try:
            async with session.begin_nested():
                employer = await employers.register_employer(
                    session, SYSTEM, bin=_bin(rng), name=f"{rng.choice(COMPANY_WORDS)} {name}", region_code=region,
                    local_staff=[employers.StaffCount(c, n) for c, n in zip(StaffCategory, staff)])
        except ServiceError:  # the same BIN drawn twice
            continue
        counts["employer"] += 1
        made = []
        for category in (PermitCategory.CAT3, PermitCategory.CAT4, PermitCategory.SEASONAL, PermitCategory.CAT1,
                         PermitCategory.ICT):
            months = rng.randint(3, 6) if category == PermitCategory.SEASONAL else rng.choice((6, 12))
            workers = max(1, sum(staff) // rng.choice((40, 60, 100)))
            permit = await _request(session, counts, employer_id=employer.id, category=category,
                                    occupation_code=occupation if listed else any_occupation,
                                    region_code=region, workers=workers, valid_months=months)
            if permit is not None:
                made.append(permit)
        # every state: most approved (some no longer fit their quota and are refused), some refused, some waiting
        for n, permit in enumerate(made):
            if n % 4 == 3:
                continue  # stays REQUESTED
            decision = Decision.REJECT if n % 4 == 2 else Decision.APPROVE
            try:
                async with session.begin_nested():
                    await permits.decide_work_permit(session, SYSTEM, permit_id=permit.id, decision=decision,
                                                     reason=t("the employer's need is not shown")
                                                     if decision == Decision.REJECT else None)
            except ServiceError as exc:  # QUOTA_EXHAUSTED: refused with the reason
                async with session.begin_nested():
                    await permits.decide_work_permit(session, SYSTEM, permit_id=permit.id, decision=Decision.REJECT,
                                                     reason=exc.errors[0].message)
        # violations: one for every third employer, a second (a suspension) for every sixth
        if i % 3 == 0:
            kinds = [ViolationKind.ILLEGAL_EMPLOYMENT] + ([ViolationKind.PERMIT_BREACH] if i % 6 == 0 else [])
            for k, kind in enumerate(kinds):
                await violations.record_violation(
                    session, SYSTEM, kind=kind, occurred_on=today - dt.timedelta(days=rng.randint(10, 150) * (k + 1)),
                    fine_mrp=rng.choice((30, 50, 100)), external_id=f"DEMO-{seed}-{employer.bin}-{k}",
                    employer_id=employer.id)
                counts["violation"] += 1
    # a few applicants' violations, on applications closed before they were scored (no score to revisit),
    # none of them already given one by an earlier run
    decided = (await session.execute(
        select(Application.id).where(Application.status.in_((ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN)),
                                     ~select(Score.id).where(Score.application_id == Application.id).exists(),
                                     ~select(Violation.id).where(Violation.application_id == Application.id).exists())
        .order_by(Application.id.desc()).limit(max(1, employers_count // 2)))).scalars().all()
    for app_id in decided:
        kind = rng.choice((ViolationKind.OVERSTAY, ViolationKind.FALSE_DOCUMENTS, ViolationKind.OTHER))
        await violations.record_violation(session, SYSTEM, kind=kind,
                                          occurred_on=today - dt.timedelta(days=rng.randint(1, 300)),
                                          external_id=f"DEMO-{seed}-APP-{app_id}", application_id=app_id)
        counts["violation"] += 1
    return counts
