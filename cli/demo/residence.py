"""Residence events and breach cases for a sample of the ACTIVE contracts
(SPEC §13), written through the services themselves after the batches: the
address-registration authority (MVD_MIGRATION, granted RESIDENCE) reports the
family REGISTERED in its region; some then move within it, move away or
deregister, which opens a breach case; officers confirm some cases (the
contract is terminated with the whole support to refund, by the one
termination rule), dismiss others, and leave the rest OPEN.

A departure is dated after the contract's last support payment, so that every
payment of a terminated contract precedes its termination."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cli.demo.common import OFFICER, Window, ri
from core.db import transaction
from models import Agency, AgencyGrant, Applicant, Application, Region, ResidenceEvent, SocialContract, SupportPayment
from models.enums import AgencyGrantKind, BreachOutcome, ContractStatus, ResidenceEventKind
from services import contracts, residence
from services.auth import agency_viewer
from services.viewer import Viewer

REPORTER = "MVD_MIGRATION"
SAMPLE_MIN, SAMPLE_MAX = 8, 60
# What happens after the first registration, by the sampled contract's position.
STORIES = ("stay", "move_within", "move_away_open", "move_away_confirmed", "deregister_dismissed",
           "deregister_open", "move_away_dismissed", "stay")


async def _reporter(session: AsyncSession) -> Viewer | None:
    agency_id = (await session.execute(
        select(Agency.id).join(AgencyGrant, AgencyGrant.agency_id == Agency.id)
        .where(Agency.code == REPORTER, Agency.active.is_(True), AgencyGrant.kind == AgencyGrantKind.RESIDENCE)
    )).scalar_one_or_none()
    return None if agency_id is None else await agency_viewer(session, agency_id, REPORTER)


async def add_residence(sessions: async_sessionmaker[AsyncSession], rng: random.Random, window: Window,
                        tag: str) -> Counter[str]:
    """Report, open and resolve as the stories say; returns the rows written per table."""
    written: Counter[str] = Counter()
    today = min(window.today, contracts.today())
    async with sessions() as session:
        reporter = await _reporter(session)
        if reporter is None:  # an administrator removed the grant: nothing to report
            return written
        last_paid = func.coalesce(
            select(func.max(SupportPayment.paid_on)).where(SupportPayment.contract_id == SocialContract.id)
            .scalar_subquery(), SocialContract.start_date)
        rows = (await session.execute(
            select(SocialContract.id, SocialContract.start_date, SocialContract.region_id, last_paid)
            .where(SocialContract.status == ContractStatus.ACTIVE,
                   ~select(ResidenceEvent.id).where(ResidenceEvent.contract_id == SocialContract.id).exists())
            .order_by(SocialContract.id))).all()
        regions = dict((await session.execute(select(Region.id, Region.code))).all())
    candidates = [r for r in rows if (today - r[3]).days >= 3 and (today - r[1]).days >= 6]
    sample = rng.sample(candidates, min(len(candidates), max(SAMPLE_MIN, len(candidates) // 8), SAMPLE_MAX))
    officer = Viewer(subject=OFFICER, role="OFFICER")
    for n, (contract_id, start, region_id, paid_until) in enumerate(sample):
        story = STORIES[n % len(STORIES)]
        home = regions[region_id]
        away = rng.choice([code for code in regions.values() if code != home])
        registered_on = start + dt.timedelta(days=ri(rng, 0, min(5, (paid_until - start).days)))
        left_on = paid_until + dt.timedelta(days=ri(rng, 1, (today - paid_until).days - 1))
        steps: list[tuple[ResidenceEventKind, str, dt.date]] = [(ResidenceEventKind.REGISTERED, home, registered_on)]
        if story == "move_within":
            steps.append((ResidenceEventKind.MOVED, home, left_on))
        elif story.startswith("move_away"):
            steps.append((ResidenceEventKind.MOVED, away, left_on))
        elif story.startswith("deregister"):
            steps.append((ResidenceEventKind.DEREGISTERED, home, left_on))
            if story.endswith("dismissed"):  # registered again a day later: the officer dismisses the case
                steps.append((ResidenceEventKind.REGISTERED, home, min(left_on + dt.timedelta(days=1), today)))
        async with transaction(sessions) as session:
            events = []
            person = await _person(session, contract_id)
            for k, (kind, code, on) in enumerate(steps):
                events.append(await residence.record_residence_event(
                    session, reporter, citizenship=person[0], document_number=person[1], kind=kind,
                    region_code=code, occurred_on=on, external_id=f"DEMO-{tag}-{contract_id}-{k + 1}"))
            written["residence_event"] += len(events)
            case_id = next((e.breach_id for e in events if e.breach_id is not None), None)
            if case_id is not None:
                written["contract_breach"] += 1
                outcome = (BreachOutcome.CONFIRMED if story.endswith("confirmed")
                           else BreachOutcome.DISMISSED if story.endswith("dismissed") else None)
                if outcome is not None:
                    await residence.resolve_breach(session, officer, breach_id=case_id, outcome=outcome, note=(
                        "registered at a new address outside the region" if outcome == BreachOutcome.CONFIRMED
                        else "re-registered in the region; a change of address, not a departure"))
                    written["contract_termination"] += outcome == BreachOutcome.CONFIRMED
    return written


async def _person(session: AsyncSession, contract_id: int) -> tuple[str, str]:
    """The holder's citizenship and document number, as the authority knows them."""
    return tuple((await session.execute(
        select(Applicant.citizenship, Applicant.document_number)
        .join(Application, Application.applicant_id == Applicant.id)
        .join(SocialContract, SocialContract.application_id == Application.id)
        .where(SocialContract.id == contract_id))).one())  # type: ignore[return-value]
