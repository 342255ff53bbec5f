"""Webhooks for residence and violation records (issue 19): the record concerns
the agency on it — the reporter of a residence event, the agency whose key
recorded a violation — so that agency's endpoint gets one signed event, written
with the record and sent after commit; a retry (same externalId) sends nothing
new, another agency nothing at all, and a rolled-back record nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks import Webhook

import models as m
from core.db import transaction
from core.globalid import encode
from core.settings import Settings
from models.enums import ResidenceEventKind, ViolationKind, WebhookDeliveryStatus
from services import residence, webhooks
from services.auth import agency_viewer
from services.labour import violations
from services.viewer import SYSTEM, Viewer
from services.webhooks import endpoints
from tests import factories as f
from tests.helpers_webhooks import receiver, send_all, sending_settings

Sessions = async_sessionmaker[AsyncSession]
OFFICER = Viewer(subject="officer-hooks", role="OFFICER")
RESIDENCE, VIOLATION = webhooks.EventType.RESIDENCE_RECORDED.value, webhooks.EventType.VIOLATION_RECORDED.value


@pytest.fixture
async def settings(database_url: str) -> Settings:  # type: ignore[override]
    return await sending_settings(database_url)


async def agency(sessions: Sessions, code: str) -> Viewer:
    async with sessions() as s:
        agency_id = (await s.execute(select(m.Agency.id).where(m.Agency.code == code))).scalar_one()
        return await agency_viewer(s, agency_id, code)


async def register(sessions: Sessions, url: str, agency_code: str, events: list[str]) -> endpoints.Registered:
    async with transaction(sessions) as session:
        return await endpoints.register_webhook(session, SYSTEM, url=url, events=events, agency_code=agency_code,
                                                development=True)


async def deliveries(sessions: Sessions) -> list[m.WebhookDelivery]:
    async with transaction(sessions) as session:
        return list((await session.execute(select(m.WebhookDelivery).order_by(m.WebhookDelivery.id))).scalars())


async def holder(sessions: Sessions) -> tuple[str, str]:
    """The citizenship and document number of the holder of a new ACTIVE contract."""
    async with transaction(sessions) as s:
        contract = await f.make_contract(s, start_date=dt.date(2026, 3, 1), region_code="KZ-55")
        person = (await s.execute(select(m.Applicant).join(m.Application, m.Application.applicant_id == m.Applicant.id)
                                  .where(m.Application.id == contract.application_id))).scalar_one()
        return person.citizenship, person.document_number


async def report(session: AsyncSession, viewer: Viewer, person: tuple[str, str], external_id: str,
                 kind: ResidenceEventKind = ResidenceEventKind.MOVED) -> m.ResidenceEvent:
    return await residence.record_residence_event(
        session, viewer, citizenship=person[0], document_number=person[1], kind=kind, region_code="KZ-75",
        occurred_on=dt.date(2026, 11, 20), external_id=external_id)


async def test_a_residence_event_reaches_its_reporter_signed(settings: Settings, sessions: Sessions) -> None:
    mvd = await agency(sessions, "MVD_MIGRATION")
    person = await holder(sessions)
    with receiver() as hook:
        mine = await register(sessions, hook.url, "MVD_MIGRATION", [RESIDENCE])
        await register(sessions, hook.url + "/gpo", "GPO", [RESIDENCE, VIOLATION])  # not concerned
        await register(sessions, hook.url + "/checks", "MVD_MIGRATION", ["check.requested"])  # takes other events
        async with transaction(sessions) as session:
            event = await report(session, mvd, person, "MVD-R-1")
            queued = webhooks.queued(session)
        assert len(queued) == 1
        async with transaction(sessions) as session:  # a retry records nothing and sends nothing
            again = await report(session, mvd, person, "MVD-R-1")
            assert again.id == event.id and webhooks.queued(session) == []
        await send_all(settings, sessions, queued)
    [received] = hook.requests
    assert received.headers["webhook-id"] and received.headers["webhook-signature"].startswith("v1,")
    body = Webhook(mine.secret).verify(received.body, received.headers)
    assert body["type"] == RESIDENCE
    assert body["data"] == {"residenceEvent": {
        "id": encode("ResidenceEvent", event.id), "externalId": "MVD-R-1", "kind": "MOVED",
        "citizenship": person[0], "documentNumber": person[1], "regionCode": "KZ-75", "occurredOn": "2026-11-20",
        "recordedAt": body["data"]["residenceEvent"]["recordedAt"],
    }}  # nothing of the contract, nor of the breach case the move opened (staff-only)
    assert event.breach_id is not None
    [row] = await deliveries(sessions)
    assert (row.endpoint_id, row.status, row.attempts) == (mine.endpoint.id, WebhookDeliveryStatus.DELIVERED, 1)


async def test_a_violation_reaches_the_agency_that_recorded_it(settings: Settings, sessions: Sessions) -> None:
    mvd = await agency(sessions, "MVD_MIGRATION")
    async with transaction(sessions) as s:
        app = await f.make_application(s)
    with receiver() as hook:
        mine = await register(sessions, hook.url, "MVD_MIGRATION", [VIOLATION])
        async with transaction(sessions) as session:  # an officer's record concerns no agency
            await violations.record_violation(session, OFFICER, kind=ViolationKind.OTHER,
                                              occurred_on=dt.date(2026, 5, 1), external_id="OFF-1",
                                              application_id=app.id)
            assert webhooks.queued(session) == []
        async with transaction(sessions) as session:
            row = await violations.record_violation(session, mvd, kind=ViolationKind.OVERSTAY, fine_mrp=30,
                                                    occurred_on=dt.date(2026, 6, 1), external_id="MVD-V-1",
                                                    application_id=app.id)
            queued = webhooks.queued(session)
        assert len(queued) == 1
        async with transaction(sessions) as session:  # the same externalId again: nothing new
            await violations.record_violation(session, mvd, kind=ViolationKind.OVERSTAY, fine_mrp=30,
                                              occurred_on=dt.date(2026, 6, 1), external_id="MVD-V-1",
                                              application_id=app.id)
            assert webhooks.queued(session) == []
        await send_all(settings, sessions, queued)
    [received] = hook.requests
    body = Webhook(mine.secret).verify(received.body, received.headers)
    assert body["type"] == VIOLATION
    recorded = body["data"]["violation"]
    assert recorded == {"id": encode("Violation", row.id), "externalId": "MVD-V-1", "kind": "OVERSTAY",
                        "occurredOn": "2026-06-01", "fineMrp": 30, "recordedAt": recorded["recordedAt"]}
    assert "application" not in recorded and "employer" not in recorded  # not whose it is
    [delivered] = await deliveries(sessions)
    assert delivered.status == WebhookDeliveryStatus.DELIVERED


@pytest.mark.parametrize("record", ["residence", "violation"])
async def test_a_rolled_back_record_sends_nothing(settings: Settings, sessions: Sessions, record: str) -> None:
    mvd = await agency(sessions, "MVD_MIGRATION")
    person = await holder(sessions)
    async with transaction(sessions) as s:
        app = await f.make_application(s)

    async def write(session: AsyncSession) -> Any:
        if record == "residence":
            return await report(session, mvd, person, "MVD-RB-1")
        return await violations.record_violation(session, mvd, kind=ViolationKind.OTHER,
                                                 occurred_on=dt.date(2026, 6, 1), external_id="MVD-RB-1",
                                                 application_id=app.id)

    with receiver() as hook:
        await register(sessions, hook.url, "MVD_MIGRATION", [RESIDENCE, VIOLATION])
        with pytest.raises(RuntimeError):
            async with transaction(sessions) as session:
                await write(session)
                assert len(webhooks.queued(session)) == 1  # written with the record ...
                raise RuntimeError("the mutation fails after its record")
        assert await deliveries(sessions) == []  # ... and gone with it
        await send_all(settings, sessions, [])
    assert hook.requests == []
    async with transaction(sessions) as session:
        model = m.ResidenceEvent if record == "residence" else m.Violation
        assert (await session.execute(select(model).where(model.external_id == "MVD-RB-1"))).first() is None
