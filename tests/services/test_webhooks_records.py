"""Webhooks for residence and violation records (issue 19): the record concerns
the agency on it — the reporter of a residence event, the agency whose key
recorded a violation — so that agency's endpoint gets one signed event, written
with the record and sent after commit; a retry (same externalId) sends nothing
new, another agency nothing at all, and a rolled-back record nothing. What a
payload sends of its row is what the access declaration lets an agency read."""

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
from api.graphql.schema import build_schema
from models.enums import ResidenceEventKind, ViolationKind, WebhookDeliveryStatus
from services import access, residence, webhooks
from services.auth import agency_viewer
from services.labour import violations
from services.viewer import SYSTEM, Viewer
from services.webhooks import endpoints, events
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


# ---------------------------------------------------------------- what a payload may carry

SCHEMA = build_schema()._schema
SENT_AS = {"regionCode": "region"}  # the payload's names that are not the field's
AT = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.timezone.utc)


def agency_reads(type_name: str) -> set[str]:
    """The fields of the GraphQL type ``services.access`` lets an agency read, but those
    its webhook leaves out on purpose (``events.NOT_SENT``)."""
    return {name for name in SCHEMA.get_type(type_name).fields
            if access.Caller.AGENCY in access.field_readers(type_name, name)} - events.NOT_SENT.get(type_name, set())


def sent_fields() -> dict[str, set[str]]:
    """The fields each payload sends of its row (by their GraphQL names), of rows with
    every field set."""
    event = m.ResidenceEvent(id=7, agency_id=2, external_id="R-7", citizenship="UZB", document_number="FA1234567",
                             kind=ResidenceEventKind.MOVED, region_id=3, occurred_on=dt.date(2026, 11, 20),
                             contract_id=11, breach_id=13, recorded_at=AT)
    violation = m.Violation(id=5, external_id="V-5", employer_id=17, application_id=19, kind=ViolationKind.OVERSTAY,
                            occurred_on=dt.date(2026, 6, 1), fine_mrp=30, recorded_at=AT, recorded_by="mvd",
                            agency_id=2)
    return {"ResidenceEvent": {SENT_AS.get(k, k) for k in events.residence_payload(event, "KZ-75")["residenceEvent"]},
            "Violation": {SENT_AS.get(k, k) for k in events.violation_payload(violation)["violation"]}}


def test_a_payload_sends_exactly_what_the_access_declaration_lets_an_agency_read() -> None:
    sent = sent_fields()
    for type_name in ("ResidenceEvent", "Violation"):
        assert sent[type_name] == agency_reads(type_name), type_name
    assert {"contract", "breach"}.isdisjoint(sent["ResidenceEvent"])  # SPEC §13: not whose, not the case
    assert {"employer", "application"}.isdisjoint(sent["Violation"])  # SPEC §15: not whose it is


def test_the_payloads_follow_the_access_declaration_when_it_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hide a field from agencies and it leaves the payload; show one and it goes in."""
    people, staff, signed_in = access.PEOPLE, access.STAFF, access.SIGNED_IN
    monkeypatch.setitem(access.FIELDS, "ResidenceEvent", access.Fields(
        signed_in, only={"contract": signed_in, "breach": staff, "documentNumber": people}))
    monkeypatch.setitem(access.FIELDS, "Violation", access.Fields(access.STAFF_AND_AGENCIES, staff, {
        f: access.STAFF_AND_AGENCIES for f in ("id", "kind", "occurredOn", "externalId", "recordedAt", "employer")}))
    sent = sent_fields()
    assert "documentNumber" not in sent["ResidenceEvent"] and "contract" in sent["ResidenceEvent"]
    assert "fineMrp" not in sent["Violation"] and "employer" in sent["Violation"]
    for type_name in ("ResidenceEvent", "Violation"):
        assert sent[type_name] == agency_reads(type_name), type_name


def test_check_requested_sends_nothing_hidden_from_agencies(monkeypatch: pytest.MonkeyPatch) -> None:
    """``check.requested`` sends a part of the application: never more than an agency reads of it."""
    application = access.FIELDS["Application"]
    monkeypatch.setitem(access.FIELDS, "Application", access.Fields(
        application.reach, application.default, {**application.only, "dueDate": access.PEOPLE}))
    shown = events.agency_view("Application", {"id": "A", "number": "KZ-1", "dueDate": dt.date(2026, 1, 1)})
    assert shown == {"id": "A", "number": "KZ-1"}
