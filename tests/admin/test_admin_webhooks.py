"""Webhooks in the admin panel: deliveries listed with their tries, a failed one
re-sent (audited, through the service); an endpoint's secret is never shown."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select, update

from core.db import transaction
from models import AuditEvent, WebhookDelivery
from models.enums import WebhookDeliveryStatus
from services.applications import request_checks
from services.viewer import SYSTEM, Viewer
from services.webhooks import endpoints, worker
from tests import factories as f
from tests.admin.test_admin import accounts, admin_client, auditor_client  # noqa: F401 (fixtures)
from tests.helpers_webhooks import settle_after_commit


async def failed_delivery(sessions: Any) -> tuple[endpoints.Registered, int]:
    async with transaction(sessions) as session:
        registered = await endpoints.register_webhook(session, SYSTEM, url="http://127.0.0.1:9/hook",
                                                      events=["check.requested"], agency_code="GPO", development=True)
        app = await f.make_application(session)
        await request_checks(session, Viewer(subject="officer-1", role="OFFICER"), application_id=app.id)
        delivery_id = (await session.execute(select(WebhookDelivery.id))).scalar_one()
        await session.execute(update(WebhookDelivery).values(status=WebhookDeliveryStatus.FAILED, attempts=8,
                                                              last_error="HTTP 500"))
    return registered, delivery_id


async def test_an_administrator_resends_a_failed_delivery(admin_client: httpx.AsyncClient, sessions: Any) -> None:
    registered, delivery_id = await failed_delivery(sessions)
    listed = await admin_client.get("/admin/webhook-delivery/list")
    assert listed.status_code == 200 and "HTTP 500" in listed.text
    preview = await admin_client.get(f"/admin/webhook-delivery/action/resend?pks={delivery_id}")
    assert preview.status_code == 200 and "will be sent again" in preview.text
    async with sessions() as session:
        assert (await session.get(WebhookDelivery, delivery_id)).status == WebhookDeliveryStatus.FAILED
    done = await admin_client.get(f"/admin/webhook-delivery/action/resend?pks={delivery_id}&confirm=1")
    assert done.status_code == 200 and "is queued again" in done.text
    await settle_after_commit()  # on PostgreSQL its job was deferred after the commit
    await worker.close()
    async with sessions() as session:
        row = await session.get(WebhookDelivery, delivery_id)
        assert (row.status, row.attempts) == (WebhookDeliveryStatus.PENDING, 0)
        who = (await session.execute(select(AuditEvent.actor_subject).where(
            AuditEvent.action == "webhook.resend", AuditEvent.entity_id == delivery_id))).scalar_one()
    assert who == "admin:alice.admin"
    again = await admin_client.get(f"/admin/webhook-delivery/action/resend?pks={delivery_id}&confirm=1")
    assert "still waiting to be sent" in again.text  # refused by the service, nothing written
    for page in (f"/admin/webhook-endpoint/details/{registered.endpoint.id}", "/admin/webhook-endpoint/list",
                 "/admin/webhook-attempt/list", f"/admin/webhook-delivery/details/{delivery_id}"):
        response = await admin_client.get(page)
        assert response.status_code == 200, page
        assert registered.secret not in response.text and registered.secret[6:20] not in response.text


async def test_an_auditor_may_not_resend(auditor_client: httpx.AsyncClient, sessions: Any) -> None:
    _, delivery_id = await failed_delivery(sessions)
    response = await auditor_client.get(f"/admin/webhook-delivery/action/resend?pks={delivery_id}&confirm=1")
    assert response.status_code == 403
    async with sessions() as session:
        assert (await session.get(WebhookDelivery, delivery_id)).status == WebhookDeliveryStatus.FAILED
