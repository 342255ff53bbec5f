"""``qonys worker --inline``: sends the webhook deliveries waiting in the outbox
(on SQLite, where there is no procrastinate; on PostgreSQL too)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from core.db import transaction
from models import WebhookDelivery
from models.enums import WebhookDeliveryStatus
from services.applications import request_checks
from services.viewer import SYSTEM, Viewer
from services.webhooks import endpoints
from tests import factories as f
from tests.helpers_webhooks import receiver


async def _qonys(database_url: str, *argv: str) -> tuple[int, str]:
    from typer.testing import CliRunner

    from cli.main import app

    env = {"QONYS_DATABASE_URL": database_url, "QONYS_WEBHOOK_BACKOFF_S": "0.02", "COLUMNS": "200"}
    result = await asyncio.to_thread(CliRunner().invoke, app, list(argv), env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


async def test_worker_inline_sends_what_waits(database_url: str, sessions: Any) -> None:
    with receiver(fail_first=1) as hook:
        async with transaction(sessions) as session:
            await endpoints.register_webhook(session, SYSTEM, url=hook.url, events=["check.requested"],
                                             agency_code="GPO", development=True)
            app = await f.make_application(session)
            await request_checks(session, Viewer(subject="officer-1", role="OFFICER"), application_id=app.id)
        code, out = await _qonys(database_url, "worker", "--inline", "--once")
    assert code == 0, out
    assert "2 webhook delivery try(s) made; none is pending" in out
    assert [r.answered for r in hook.requests] == [500, 204]
    async with transaction(sessions) as session:
        [row] = (await session.execute(select(WebhookDelivery))).scalars().all()
    assert (row.status, row.attempts) == (WebhookDeliveryStatus.DELIVERED, 2)
