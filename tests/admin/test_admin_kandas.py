"""The admin panel's kandas statuses and reviews (lists with filters, read-only) and
the public holidays, edited through ``services.holidays`` (validated, audited)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from sqlalchemy import func, select

from core.db import transaction
from models import AuditEvent, Holiday
from services import reviews
from services.viewer import Viewer
from tests import factories as f
from tests.admin.test_admin import ADMIN, accounts, admin_client, audit_events, login  # noqa: F401  (fixtures)

HOLIDAY = {"month": "", "day": "", "on_date": "2026-05-27", "name_kk": "Құрбан айт", "name_ru": "Курбан айт",
           "name_en": "Kurban Ait", "save": "Save"}


async def test_statuses_and_reviews_are_listed_with_their_filters(admin_client: httpx.AsyncClient, sessions: Any,
                                                                    clock: Any) -> None:
    async with transaction(sessions) as s:
        await f.make_approved_kandas(s, decided_at=dt.datetime(2025, 11, 1, 6, tzinfo=dt.timezone.utc))
        rejected = await f.make_passed_application(s, status="FAILED", score=300)
    clock.pin(dt.date(2026, 2, 20))
    async with transaction(sessions) as s:
        await reviews.request_review(s, Viewer(subject="officer-9", role="OFFICER"), application_id=rejected.id,
                                     grounds="Please look at the interview again.")
    clock.pin(dt.date(2026, 12, 4))
    listed = await admin_client.get("/admin/kandas-status/list")
    assert listed.status_code == 200 and "KS-2025-000001" in listed.text and "EXPIRED" in listed.text
    filtered = await admin_client.get("/admin/kandas-status/list?status=ENDED")
    assert filtered.status_code == 200 and "KS-2025-000001" not in filtered.text
    reviews_page = await admin_client.get("/admin/decision-review/list?status=OPEN")
    assert reviews_page.status_code == 200 and "RV-2026-000001" in reviews_page.text and "(overdue)" in reviews_page.text
    assert (await admin_client.get("/admin/decision-review/create")).status_code in (302, 403, 404)


async def test_holidays_are_edited_through_the_service_and_audited(admin_client: httpx.AsyncClient,
                                                                     sessions: Any) -> None:
    created = await admin_client.post("/admin/holiday/create", data=HOLIDAY)
    assert created.status_code == 302, created.text
    async with sessions() as s:
        holiday = (await s.execute(select(Holiday).where(Holiday.on_date == dt.date(2026, 5, 27)))).scalar_one()
        before = (await s.execute(select(func.count()).select_from(Holiday))).scalar_one()
    again = await admin_client.post("/admin/holiday/create", data=HOLIDAY)
    assert again.status_code == 400 and "already is a holiday" in again.text
    both = await admin_client.post("/admin/holiday/create", data={**HOLIDAY, "month": "5", "day": "28"})
    assert both.status_code == 400
    edited = await admin_client.post(f"/admin/holiday/edit/{holiday.id}", data={**HOLIDAY, "name_en": "Kurban Bayram"})
    assert edited.status_code == 302, edited.text
    deleted = await admin_client.delete(f"/admin/holiday/delete?pks={holiday.id}")
    assert deleted.status_code == 200 and "error=" not in deleted.text
    events = await audit_events(sessions, entity_type="holiday", entity_id=holiday.id)
    assert [e.action for e in events] == ["holiday.create", "holiday.update", "holiday.delete"]
    assert all(e.actor_subject == f"admin:{ADMIN}" for e in events)
    assert events[1].changes == {"name_en": ["Kurban Ait", "Kurban Bayram"]}
    async with sessions() as s:
        assert (await s.execute(select(func.count()).select_from(Holiday))).scalar_one() == before - 1
        assert (await s.execute(select(func.count()).select_from(AuditEvent)
                                .where(AuditEvent.entity_type == "holiday"))).scalar_one() == 3
