"""Living in the region (SPEC §13), on the services: residence events matched to
the holder's ACTIVE contract, breach cases opened by a departure, retries by
``externalId``, resolution through the one termination rule, and the contracts
whose residence is unconfirmed for 365 days. Every refusal writes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

import models as m
from core.db import transaction
from models.enums import BreachOutcome, BreachStatus, ContractStatus, ResidenceEventKind, TerminationReason
from services import contracts, integrity, residence
from services.auth import agency_viewer
from services.errors import ServiceError
from services.viewer import Viewer
from tests import factories as f

OFFICER = Viewer(subject="officer-r", role="OFFICER")
MOVED, REGISTERED, DEREGISTERED = (ResidenceEventKind.MOVED, ResidenceEventKind.REGISTERED,
                                   ResidenceEventKind.DEREGISTERED)


async def agency(sessions: Any, code: str) -> Viewer:
    async with sessions() as s:
        agency_id = (await s.execute(select(m.Agency.id).where(m.Agency.code == code))).scalar_one()
        return await agency_viewer(s, agency_id, code)


@pytest.fixture
async def mvd(sessions: Any) -> Viewer:
    return await agency(sessions, "MVD_MIGRATION")


async def holder(sessions: Any, *, start: dt.date = dt.date(2026, 3, 1), region: str = "KZ-55",
                 support: str | None = None) -> tuple[int, str, str]:
    """An ACTIVE contract (with ``support`` paid), and its holder's citizenship and document number."""
    async with transaction(sessions) as s:
        contract = await f.make_contract(s, start_date=start, region_code=region, family_size=2)
        person = (await s.execute(select(m.Applicant).join(m.Application, m.Application.applicant_id == m.Applicant.id)
                                  .where(m.Application.id == contract.application_id))).scalar_one()
        contract_id = contract.id
        if support:
            await contracts.record_support_payment(s, OFFICER, contract_id=contract_id, measure_code="RELOCATION",
                                                   amount=Decimal(support), paid_on=start + dt.timedelta(days=10))
        return contract_id, person.citizenship, person.document_number


async def report(sessions: Any, viewer: Viewer, person: tuple[int, str, str], kind: ResidenceEventKind, region: str,
                 on: dt.date, external_id: str, **over: Any) -> m.ResidenceEvent:
    _, citizenship, document = person
    values = {"citizenship": citizenship, "document_number": document, "kind": kind, "region_code": region,
              "occurred_on": on, "external_id": external_id, **over}
    async with transaction(sessions) as s:
        return await residence.record_residence_event(s, viewer, **values)


async def resolve(sessions: Any, viewer: Viewer, breach_id: int, outcome: BreachOutcome,
                  note: str | None = "checked with the akimat") -> m.ContractBreach:
    async with transaction(sessions) as s:
        return await residence.resolve_breach(s, viewer, breach_id=breach_id, outcome=outcome, note=note)


COUNTED = (m.ResidenceEvent, m.ContractBreach, m.ContractTermination, m.AuditEvent)


async def snapshot(sessions: Any) -> dict[str, Any]:
    async with sessions() as s:
        found: dict[str, Any] = {model.__tablename__: (await s.execute(select(func.count()).select_from(model)))
                                 .scalar_one() for model in COUNTED}
        found["contracts"] = sorted((await s.execute(select(m.SocialContract.id, m.SocialContract.status))).all())
        found["breaches"] = sorted((await s.execute(select(m.ContractBreach.id, m.ContractBreach.status))).all())
    return found


async def refused(sessions: Any, work: Any, code: str, field: tuple[str, ...] | None) -> str:
    before = await snapshot(sessions)
    with pytest.raises(ServiceError) as caught:
        await work()
    (error,) = caught.value.errors
    assert (error.code.value, error.field) == (code, field), error
    assert await snapshot(sessions) == before
    return error.message


async def breaches_of(sessions: Any, contract_id: int) -> list[m.ContractBreach]:
    async with sessions() as s:
        return list((await s.execute(select(m.ContractBreach).where(m.ContractBreach.contract_id == contract_id)
                                     .order_by(m.ContractBreach.id))).scalars())


async def test_a_move_out_of_the_region_opens_one_case_and_later_events_attach(sessions: Any, mvd: Viewer) -> None:
    person = await holder(sessions)
    contract_id = person[0]
    registered = await report(sessions, mvd, person, REGISTERED, "KZ-55", dt.date(2026, 3, 5), "R-1")
    within = await report(sessions, mvd, person, MOVED, "kz-55", dt.date(2026, 4, 1), "R-2")
    assert registered.breach_id is None and within.breach_id is None and await breaches_of(sessions, contract_id) == []

    moved = await report(sessions, mvd, person, MOVED, "KZ-75", dt.date(2026, 6, 10), "R-3")
    (case,) = await breaches_of(sessions, contract_id)
    assert (case.status, case.opened_on, moved.breach_id) == (BreachStatus.OPEN, dt.date(2026, 6, 10), case.id)
    back = await report(sessions, mvd, person, REGISTERED, "KZ-55", dt.date(2026, 7, 1), "R-4")
    gone = await report(sessions, mvd, person, DEREGISTERED, "KZ-55", dt.date(2026, 8, 1), "R-5")
    assert back.breach_id == gone.breach_id == case.id
    assert len(await breaches_of(sessions, contract_id)) == 1  # one open case at a time


async def test_a_deregistration_opens_a_case_but_not_on_or_after_the_end_date(sessions: Any, mvd: Viewer) -> None:
    person = await holder(sessions)
    await report(sessions, mvd, person, DEREGISTERED, "KZ-55", dt.date(2026, 5, 1), "D-1")
    assert [b.status for b in await breaches_of(sessions, person[0])] == [BreachStatus.OPEN]

    ended = await holder(sessions, start=dt.date(2021, 6, 1))  # ends 2026-06-01, still ACTIVE until recorded
    event = await report(sessions, mvd, ended, MOVED, "KZ-75", dt.date(2026, 6, 1), "D-2")
    assert event.breach_id is None and await breaches_of(sessions, ended[0]) == []
    assert residence.opens_breach(MOVED, 1, 2, dt.date(2026, 5, 31), dt.date(2026, 6, 1))
    assert not residence.opens_breach(MOVED, 2, 2, dt.date(2026, 5, 31), dt.date(2026, 6, 1))
    assert not residence.opens_breach(REGISTERED, 1, 2, dt.date(2026, 5, 31), dt.date(2026, 6, 1))


async def test_a_retry_with_the_same_external_id_writes_nothing(sessions: Any, mvd: Viewer) -> None:
    person = await holder(sessions, support="100000.00")
    first = await report(sessions, mvd, person, MOVED, "KZ-75", dt.date(2026, 6, 10), "EXT-42")
    before = await snapshot(sessions)
    again = await report(sessions, mvd, person, MOVED, " KZ-75 ", dt.date(2026, 6, 10), "EXT-42",
                         document_number=person[2][:3] + "-" + person[2][3:].lower())
    assert again.id == first.id and await snapshot(sessions) == before

    message = await refused(sessions, lambda: report(sessions, mvd, person, MOVED, "KZ-71", dt.date(2026, 6, 10),
                                                     "EXT-42"), "DUPLICATE", ("input", "externalId"))
    assert "EXT-42" in message
    # Once the case is confirmed the contract has ended; a retry still answers the first event.
    await resolve(sessions, OFFICER, first.breach_id, BreachOutcome.CONFIRMED)
    before = await snapshot(sessions)
    assert (await report(sessions, mvd, person, MOVED, "KZ-75", dt.date(2026, 6, 10), "EXT-42")).id == first.id
    assert await snapshot(sessions) == before
    # Another agency's reference space is its own: the same text is a new event for it (were it granted).


async def test_refused_reports_write_nothing(sessions: Any, mvd: Viewer) -> None:
    person = await holder(sessions)
    gpo = await agency(sessions, "GPO")
    assert not gpo.may("RESIDENCE") and mvd.may("RESIDENCE")
    ok = (person, MOVED, "KZ-75", dt.date(2026, 6, 10), "X-1")
    await refused(sessions, lambda: report(sessions, gpo, *ok), "FORBIDDEN", None)
    await refused(sessions, lambda: report(sessions, OFFICER, *ok), "FORBIDDEN", None)
    stranger = (person[0], "UZB", "ZZ0000001")
    await refused(sessions, lambda: report(sessions, mvd, stranger, MOVED, "KZ-75", dt.date(2026, 6, 10), "X-1"),
                  "NOT_FOUND", ("input", "documentNumber"))
    await refused(sessions, lambda: report(sessions, mvd, person, MOVED, "KZ-75", dt.date(2026, 12, 5), "X-1"),
                  "INVALID_INPUT", ("input", "occurredOn"))
    await refused(sessions, lambda: report(sessions, mvd, person, MOVED, "KZ-75", dt.date(2026, 2, 27), "X-1"),
                  "INVALID_INPUT", ("input", "occurredOn"))
    await refused(sessions, lambda: report(sessions, mvd, person, MOVED, "KZ-99", dt.date(2026, 6, 10), "X-1"),
                  "INVALID_INPUT", ("input", "regionCode"))
    await refused(sessions, lambda: report(sessions, mvd, person, MOVED, "KZ-75", dt.date(2026, 6, 10), "  "),
                  "INVALID_INPUT", ("input", "externalId"))
    await refused(sessions, lambda: report(sessions, mvd, person, MOVED, "KZ-75", dt.date(2026, 6, 10), "X-1",
                                           citizenship="Uzbekistan"), "INVALID_INPUT", ("input", "citizenship"))


async def test_a_confirmed_breach_terminates_with_the_whole_support_to_refund(sessions: Any, mvd: Viewer) -> None:
    person = await holder(sessions, support="302750.55")
    event = await report(sessions, mvd, person, MOVED, "KZ-75", dt.date(2026, 9, 15), "C-1")
    case = await resolve(sessions, OFFICER, event.breach_id, BreachOutcome.CONFIRMED, "  moved to Almaty  ")
    assert (case.status, case.note, case.resolved_by) == (BreachStatus.CONFIRMED, "moved to Almaty", "officer-r")
    async with sessions() as s:
        contract = await s.get(m.SocialContract, person[0])
        (termination,) = await f.termination_rows(s, person[0])
        actions = (await s.execute(select(m.AuditEvent.action).where(m.AuditEvent.entity_id == person[0])
                                   .order_by(m.AuditEvent.id))).scalars().all()
    assert contract.status == ContractStatus.TERMINATED
    assert (termination.reason, termination.effective_date) == (TerminationReason.LEFT_REGION, dt.date(2026, 9, 15))
    assert termination.refund_due == contract.total_support == Decimal("302750.55")
    assert actions[-2:] == ["contract.terminate", "contract_breach.resolve"]

    message = await refused(sessions, lambda: resolve(sessions, OFFICER, case.id, BreachOutcome.DISMISSED),
                            "INVALID_STATE", ("input", "breachId"))
    assert "CONFIRMED" in message


async def test_a_dismissed_breach_leaves_the_contract_active(sessions: Any, mvd: Viewer) -> None:
    person = await holder(sessions, support="1000.00")
    event = await report(sessions, mvd, person, DEREGISTERED, "KZ-55", dt.date(2026, 9, 15), "S-1")
    case = await resolve(sessions, OFFICER, event.breach_id, BreachOutcome.DISMISSED, "re-registered the next day")
    async with sessions() as s:
        assert (await s.get(m.SocialContract, person[0])).status == ContractStatus.ACTIVE
        assert await f.termination_rows(s, person[0]) == []
    assert case.status == BreachStatus.DISMISSED
    # The case is closed: the next departure opens a new one.
    later = await report(sessions, mvd, person, MOVED, "KZ-71", dt.date(2026, 10, 1), "S-2")
    assert later.breach_id not in (None, case.id)
    assert [b.status for b in await breaches_of(sessions, person[0])] == [BreachStatus.DISMISSED, BreachStatus.OPEN]


async def test_refused_resolutions_write_nothing(sessions: Any, mvd: Viewer) -> None:
    person = await holder(sessions, support="5000.00")
    event = await report(sessions, mvd, person, MOVED, "KZ-75", dt.date(2026, 9, 15), "F-1")
    applicant = Viewer(subject="someone", role="APPLICANT")
    for viewer in (applicant, mvd):
        await refused(sessions, lambda: resolve(sessions, viewer, event.breach_id, BreachOutcome.CONFIRMED),
                      "FORBIDDEN", None)
    await refused(sessions, lambda: resolve(sessions, OFFICER, 999999, BreachOutcome.CONFIRMED),
                  "NOT_FOUND", ("input", "breachId"))
    for note in (None, "   ", "x" * 2001):
        await refused(sessions, lambda: resolve(sessions, OFFICER, event.breach_id, BreachOutcome.CONFIRMED, note),
                      "INVALID_INPUT", ("input", "note"))
    # An officer terminated the contract directly: confirming would end it twice; dismissing closes the case.
    async with transaction(sessions) as s:
        await contracts.terminate_contract(s, OFFICER, contract_id=person[0], reason=TerminationReason.VOLUNTARY,
                                           effective_date=dt.date(2026, 9, 20))
    await refused(sessions, lambda: resolve(sessions, OFFICER, event.breach_id, BreachOutcome.CONFIRMED),
                  "INVALID_STATE", ("input", "breachId"))
    assert (await resolve(sessions, OFFICER, event.breach_id, BreachOutcome.DISMISSED)).status == BreachStatus.DISMISSED


async def test_contracts_whose_residence_is_unconfirmed_for_365_days(sessions: Any, mvd: Viewer, clock: Any) -> None:
    clock.pin(dt.date(2026, 12, 4))
    cutoff = residence.confirmation_cutoff(dt.date(2026, 12, 4))
    assert cutoff == dt.date(2025, 12, 4)
    new = await holder(sessions, start=dt.date(2025, 12, 4))  # 365 days today: still in time
    old = await holder(sessions, start=dt.date(2025, 12, 3))  # one day late
    confirmed = await holder(sessions, start=dt.date(2024, 1, 10))
    elsewhere = await holder(sessions, start=dt.date(2024, 1, 10))
    stale = await holder(sessions, start=dt.date(2024, 1, 10))
    await report(sessions, mvd, confirmed, REGISTERED, "KZ-55", dt.date(2025, 12, 4), "U-1")
    await report(sessions, mvd, elsewhere, REGISTERED, "KZ-75", dt.date(2026, 6, 1), "U-2")  # not in its region
    await report(sessions, mvd, stale, REGISTERED, "KZ-55", dt.date(2025, 12, 3), "U-3")
    ended = await holder(sessions, start=dt.date(2024, 1, 10))
    async with transaction(sessions) as s:
        await contracts.terminate_contract(s, OFFICER, contract_id=ended[0], reason=TerminationReason.DEATH,
                                           effective_date=dt.date(2024, 5, 1))
    async with sessions() as s:
        found = set((await s.execute(select(m.SocialContract.id).where(residence.unconfirmed_condition(cutoff))))
                    .scalars())
    assert found == {old[0], elsewhere[0], stale[0]}
    assert not residence.residence_unconfirmed(ContractStatus.ACTIVE, dt.date(2025, 12, 4), None, dt.date(2026, 12, 4))
    assert residence.residence_unconfirmed(ContractStatus.ACTIVE, dt.date(2024, 1, 1), dt.date(2025, 12, 3),
                                           dt.date(2026, 12, 4))


async def test_integrity_proves_confirmed_cases_ended_their_contracts(sessions: Any, mvd: Viewer) -> None:
    person = await holder(sessions, support="700.00")
    event = await report(sessions, mvd, person, MOVED, "KZ-75", dt.date(2026, 9, 15), "I-1")
    await resolve(sessions, OFFICER, event.breach_id, BreachOutcome.CONFIRMED)
    async with sessions() as s:
        assert await integrity.breach_cases(s) == []
    async with transaction(sessions) as s:  # behind the services' back
        await s.execute(m.ContractTermination.__table__.update().where(
            m.ContractTermination.contract_id == person[0]).values(effective_date=dt.date(2026, 9, 16)))
    async with sessions() as s:
        (found,) = await integrity.breach_cases(s)
    assert (found.table, found.row_id) == ("contract_breach", event.breach_id)
    assert found.line().startswith(f"contract_breach#{event.breach_id}: CONFIRMED case without its termination")
