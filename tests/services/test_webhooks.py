"""Signed webhooks to partner agencies (issue 19): the outbox is written with the
mutation, sent after commit (procrastinate on PostgreSQL, the inline sender on
SQLite) to a receiver on loopback, retried with exponential backoff, FAILED
after 8 tries, re-sendable; endpoints refuse private addresses in production."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks import Webhook

from core.db import transaction
from core.settings import Settings
from models import AuditEvent, CheckType, WebhookDelivery
from models.enums import WebhookDeliveryStatus
from services import webhooks
from services.applications import request_checks
from services.errors import ErrorCode, ServiceError
from services.viewer import SYSTEM, Viewer
from services.webhooks import delivery, endpoints
from tests import factories as f
from tests.helpers_webhooks import (
    attempts_of,
    closed_port_url,
    fast_settings,
    receiver,
    send_all,
    sending_settings,
)

Sessions = async_sessionmaker[AsyncSession]
OFFICER = Viewer(subject="officer-1", role="OFFICER")


@pytest.fixture
async def settings(database_url: str) -> Settings:  # type: ignore[override]
    return await sending_settings(database_url)


async def register(sessions: Sessions, url: str, agency: str = "GPO") -> endpoints.Registered:
    async with transaction(sessions) as session:
        return await endpoints.register_webhook(session, SYSTEM, url=url, events=["check.requested"],
                                                agency_code=agency, development=True)


async def request_checks_committed(sessions: Sessions) -> tuple[int, list[int]]:
    """An application with its checks requested (committed); the deliveries queued."""
    async with transaction(sessions) as session:
        app = await f.make_application(session)
        await request_checks(session, OFFICER, application_id=app.id)
        queued = webhooks.queued(session)
    return app.id, queued


async def deliveries(sessions: Sessions) -> list[WebhookDelivery]:
    async with transaction(sessions) as session:
        return list((await session.execute(select(WebhookDelivery).order_by(WebhookDelivery.id))).scalars())


async def test_a_delivery_is_signed_and_verifies_with_the_package(settings: Settings, sessions: Sessions) -> None:
    with receiver() as hook:
        registered = await register(sessions, hook.url)
        assert registered.secret.startswith("whsec_")
        app_id, queued = await request_checks_committed(sessions)
        assert len(queued) == 1  # one event: GPO's endpoint; the other agencies have none
        await send_all(settings, sessions, queued)
    [received] = hook.requests
    event = Webhook(registered.secret).verify(received.body, received.headers)
    assert event["type"] == "check.requested"
    assert [c["checkType"] for c in event["data"]["checks"]] == ["CRIMINAL_RECORD"]  # GPO's type only
    [row] = await deliveries(sessions)
    assert received.headers["webhook-id"] == row.message_id
    assert (row.status, row.attempts, row.agency_id) == (WebhookDeliveryStatus.DELIVERED, 1,
                                                         registered.endpoint.agency_id)
    with pytest.raises(Exception):  # another secret does not verify
        Webhook(endpoints.new_secret()).verify(received.body, received.headers)
    tampered = received.body.replace(b"CRIMINAL_RECORD", b"NOTHING_TO_SEE")
    with pytest.raises(Exception):
        Webhook(registered.secret).verify(tampered, received.headers)


async def test_a_receiver_failing_three_times_gets_the_event_once(settings: Settings, sessions: Sessions) -> None:
    with receiver(fail_first=3) as hook:
        registered = await register(sessions, hook.url)
        _, queued = await request_checks_committed(sessions)
        await send_all(settings, sessions, queued)
    assert [r.answered for r in hook.requests] == [500, 500, 500, 204]
    assert len(hook.accepted) == 1
    assert len({r.headers["webhook-id"] for r in hook.requests}) == 1  # the same message on every try
    for r in hook.requests:
        Webhook(registered.secret).verify(r.body, r.headers)
    [row] = await deliveries(sessions)
    assert (row.status, row.attempts, row.last_error) == (WebhookDeliveryStatus.DELIVERED, 4, None)
    tries = await attempts_of(sessions, row.id)
    assert [(a.number, a.status_code) for a in tries] == [(1, 500), (2, 500), (3, 500), (4, 204)]


async def test_a_receiver_down_for_good_ends_failed_after_8_tries(settings: Settings, sessions: Sessions) -> None:
    await register(sessions, closed_port_url())
    _, queued = await request_checks_committed(sessions)
    await send_all(settings, sessions, queued)
    [row] = await deliveries(sessions)
    assert delivery.MAX_ATTEMPTS == 8
    assert (row.status, row.attempts) == (WebhookDeliveryStatus.FAILED, 8)
    tries = await attempts_of(sessions, row.id)
    assert [a.number for a in tries] == list(range(1, 9))
    assert all(a.status_code is None and a.error for a in tries)
    # exponential backoff: the n-th wait is at least backoff * 2**(n-1)
    for n, (before, after) in enumerate(zip(tries, tries[1:]), 1):
        assert after.at - before.at >= delivery.backoff(settings, n) - dt.timedelta(milliseconds=5)
    async with transaction(sessions) as session:
        audited = (await session.execute(select(AuditEvent.action).where(
            AuditEvent.entity_type == "webhook_delivery", AuditEvent.entity_id == row.id))).scalars().all()
    assert audited == ["webhook.failed"]


async def test_a_failed_delivery_is_resent_by_an_administrator(settings: Settings, sessions: Sessions) -> None:
    with receiver(fail_first=8) as hook:
        registered = await register(sessions, hook.url)
        _, queued = await request_checks_committed(sessions)
        await send_all(settings, sessions, queued)
        [row] = await deliveries(sessions)
        assert row.status == WebhookDeliveryStatus.FAILED and len(hook.requests) == 8
        with pytest.raises(ServiceError) as refused:
            async with transaction(sessions) as session:
                await delivery.resend_delivery(session, OFFICER, delivery_id=row.id)
        assert refused.value.errors[0].code == ErrorCode.FORBIDDEN
        async with transaction(sessions) as session:
            again = await delivery.resend_delivery(session, SYSTEM, delivery_id=row.id)
            assert (again.status, again.attempts) == (WebhookDeliveryStatus.PENDING, 0)
            queued = webhooks.queued(session)
        assert queued == [row.id]
        await send_all(settings, sessions, queued)
    [row] = await deliveries(sessions)
    assert (row.status, row.attempts) == (WebhookDeliveryStatus.DELIVERED, 1)
    assert len(hook.accepted) == 1 and hook.requests[-1].headers["webhook-id"] == row.message_id
    Webhook(registered.secret).verify(hook.requests[-1].body, hook.requests[-1].headers)
    async with transaction(sessions) as session:  # a PENDING one is not re-sent twice
        await delivery.resend_delivery(session, SYSTEM, delivery_id=row.id)
        with pytest.raises(ServiceError) as refused:
            await delivery.resend_delivery(session, SYSTEM, delivery_id=row.id)
    assert refused.value.errors[0].code == ErrorCode.INVALID_STATE


async def test_a_rolled_back_mutation_sends_nothing(settings: Settings, sessions: Sessions) -> None:
    with receiver() as hook:
        await register(sessions, hook.url)
        with pytest.raises(RuntimeError):
            async with transaction(sessions) as session:
                app = await f.make_application(session)
                await request_checks(session, OFFICER, application_id=app.id)
                assert len(webhooks.queued(session)) == 1  # written in the transaction ...
                raise RuntimeError("the mutation fails after the event was queued")
        assert await deliveries(sessions) == []  # ... and gone with it
        async with transaction(sessions) as session:  # a refused mutation queues nothing either
            decided = await f.make_application(session, status="REJECTED")
        with pytest.raises(ServiceError):
            async with transaction(sessions) as session:
                await request_checks(session, OFFICER, application_id=decided.id)
        await send_all(settings, sessions, [])
    assert await deliveries(sessions) == [] and hook.requests == []


async def test_only_endpoints_taking_the_event_and_active_get_it(settings: Settings, sessions: Sessions) -> None:
    with receiver() as hook:
        kept = await register(sessions, hook.url)
        other = await register(sessions, hook.url + "/other")
        async with transaction(sessions) as session:
            await endpoints.disable_webhook(session, SYSTEM, webhook_id=other.endpoint.id)
        knb = await register(sessions, hook.url + "/knb", agency="KNB")
        _, queued = await request_checks_committed(sessions)
    rows = await deliveries(sessions)
    assert sorted(r.endpoint_id for r in rows) == sorted([kept.endpoint.id, knb.endpoint.id])
    assert sorted(queued) == sorted(r.id for r in rows)
    knb_row = next(r for r in rows if r.endpoint_id == knb.endpoint.id)
    assert [c["checkType"] for c in knb_row.payload["data"]["checks"]] == ["NATIONAL_SECURITY"]
    async with transaction(sessions) as session:
        await endpoints.delete_webhook(session, SYSTEM, webhook_id=knb.endpoint.id)
    rows = {r.id: r for r in await deliveries(sessions)}
    assert rows[knb_row.id].status == WebhookDeliveryStatus.FAILED  # what waited for a deleted endpoint
    with pytest.raises(ServiceError):  # unknown event types are a programming error
        async with transaction(sessions) as session:
            await endpoints.register_webhook(session, SYSTEM, url=hook.url, events=["residence.moved"],
                                             agency_code="GPO", development=True)
    with pytest.raises(ValueError):
        async with transaction(sessions) as session:
            await webhooks.enqueue(session, agency_id=kept.endpoint.agency_id, event_type="no.such", payload={})


async def _agency(sessions: Sessions, code: str) -> Viewer:
    async with transaction(sessions) as session:
        agency_id = (await session.execute(
            select(CheckType.agency_id).where(CheckType.code == "CRIMINAL_RECORD"))).scalar_one()
    return Viewer(subject=f"agency:{code}", role="AGENCY", agency_id=agency_id if code == "GPO" else -1,
                  agency_code=code)


async def test_who_manages_endpoints(settings: Settings, sessions: Sessions) -> None:
    gpo = await _agency(sessions, "GPO")
    async with transaction(sessions) as session:
        own = await endpoints.register_webhook(session, gpo, url="http://127.0.0.1:9/x",
                                               events=[webhooks.EventType.CHECK_REQUESTED], development=True)
    assert own.endpoint.agency_id == gpo.agency_id
    refusals = [
        (gpo, dict(agency_code="KNB"), ErrorCode.FORBIDDEN),  # not for another agency
        (OFFICER, dict(agency_code="GPO"), ErrorCode.FORBIDDEN),
        (SYSTEM, dict(), ErrorCode.INVALID_INPUT),  # an administrator names the agency
        (SYSTEM, dict(agency_code="NOPE"), ErrorCode.NOT_FOUND),
    ]
    for viewer, extra, code in refusals:
        with pytest.raises(ServiceError) as refused:
            async with transaction(sessions) as session:
                await endpoints.register_webhook(session, viewer, url="http://127.0.0.1:9/x",
                                                 events=["check.requested"], development=True, **extra)
        assert refused.value.errors[0].code == code, (viewer, extra)
    stranger = Viewer(subject="agency:KNB", role="AGENCY", agency_id=gpo.agency_id + 1, agency_code="KNB")
    with pytest.raises(ServiceError) as refused:
        async with transaction(sessions) as session:
            await endpoints.disable_webhook(session, stranger, webhook_id=own.endpoint.id)
    assert refused.value.errors[0].code == ErrorCode.NOT_FOUND  # another agency's: as if missing


@pytest.mark.parametrize("url", [
    "https://127.0.0.1/hook", "https://localhost/hook", "https://10.1.2.3/hook", "https://192.168.0.5/hook",
    "https://169.254.169.254/latest/meta-data", "https://[::1]/hook", "https://[::ffff:127.0.0.1]/hook",
    "https://0.0.0.0/hook",
])
async def test_private_and_loopback_endpoints_are_refused_in_production(
        sessions: Sessions, settings: Settings, url: str) -> None:
    with pytest.raises(ServiceError) as refused:
        async with transaction(sessions) as session:
            await endpoints.register_webhook(session, SYSTEM, url=url, events=["check.requested"],
                                             agency_code="GPO", development=False)
    [error] = refused.value.errors
    assert (error.code, error.field) == (ErrorCode.INVALID_INPUT, ("input", "url"))
    assert "private, loopback or reserved" in error.message


@pytest.mark.parametrize("url, problem", [
    ("http://example.org/hook", "https://"), ("ftp://example.org/x", "https://"), ("https:///x", "no host"),
    ("https://user:pw@example.org/x", "user name"), ("", "1 to 2000"),
])
def test_endpoint_urls_are_checked_as_written(url: str, problem: str) -> None:
    assert problem in (endpoints.url_problem(url, development=False) or "")


async def test_a_loopback_endpoint_is_not_contacted_in_production(database_url: str, sessions: Sessions) -> None:
    """Registered in development, an endpoint is checked again before each try."""
    production = fast_settings(database_url, env="production")
    with receiver() as hook:
        await register(sessions, hook.url)
        _, [delivery_id] = await request_checks_committed(sessions)
        row = await delivery.attempt_delivery(sessions, production, delivery_id)
    assert hook.requests == []
    assert row is not None and row.status == WebhookDeliveryStatus.PENDING
    [attempt] = await attempts_of(sessions, delivery_id)
    assert attempt.error == "refused: The endpoint must be an https:// URL."  # (and then its addresses)


def test_headers_follow_standard_webhooks() -> None:
    secret = endpoints.new_secret()
    body = json.dumps({"type": "check.requested"}).encode()
    headers = delivery.signed_headers(secret, "msg_1", body)
    assert set(headers) >= {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(body, headers) == {"type": "check.requested"}
