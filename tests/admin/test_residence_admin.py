"""The admin panel's breach cases and residence events (SPEC §13): lists with
filters, and the resolve action, which goes through ``services.residence``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import func, select

import models as m
from core.db import transaction
from models.enums import BreachStatus, ContractStatus, ResidenceEventKind, TerminationReason
from services import contracts, residence
from services.auth import agency_viewer
from services.viewer import Viewer
from tests import factories as f
from tests.admin.test_admin import accounts, admin_client, auditor_client  # noqa: F401

OFFICER = Viewer(subject="officer-a", role="OFFICER")


async def open_case(sessions: Any, external_id: str = "ADM-1") -> tuple[int, int]:
    async with transaction(sessions) as s:
        contract = await f.make_contract(s, start_date=dt.date(2026, 3, 1), family_size=1)
        await contracts.record_support_payment(s, OFFICER, contract_id=contract.id, measure_code="RELOCATION",
                                               amount=Decimal("12345.67"), paid_on=dt.date(2026, 3, 10))
        person = (await s.execute(select(m.Applicant).join(m.Application, m.Application.applicant_id == m.Applicant.id)
                                  .where(m.Application.id == contract.application_id))).scalar_one()
        agency_id = (await s.execute(select(m.Agency.id).where(m.Agency.code == "MVD_MIGRATION"))).scalar_one()
        event = await residence.record_residence_event(
            s, await agency_viewer(s, agency_id, "MVD_MIGRATION"), citizenship=person.citizenship,
            document_number=person.document_number, kind=ResidenceEventKind.MOVED, region_code="KZ-75",
            occurred_on=dt.date(2026, 8, 1), external_id=external_id)
        return contract.id, event.breach_id


async def test_lists_with_filters(admin_client: httpx.AsyncClient, sessions: Any) -> None:
    await open_case(sessions)
    for url in ("/admin/contract-breach/list", "/admin/contract-breach/list?status=OPEN",
                "/admin/residence-event/list", "/admin/residence-event/list?kind=MOVED", "/admin/agency-grant/list"):
        response = await admin_client.get(url)
        assert response.status_code == 200, (url, response.text[:300])
    assert "ADM-1" in (await admin_client.get("/admin/residence-event/list?kind=MOVED")).text
    assert "ADM-1" not in (await admin_client.get("/admin/residence-event/list?kind=REGISTERED")).text
    assert "RESIDENCE" in (await admin_client.get("/admin/agency-grant/list")).text


async def test_resolve_action_confirms_through_the_service(admin_client: httpx.AsyncClient, sessions: Any) -> None:
    contract_id, breach_id = await open_case(sessions)
    page = await admin_client.get(f"/admin/contract-breach/action/resolve-breach?pks={breach_id}")
    assert page.status_code == 200 and 'id="resolve-form"' in page.text and "12345.67" in page.text
    # A blank note is refused by the service and nothing is written.
    blank = await admin_client.get(f"/admin/contract-breach/action/resolve-breach?pks={breach_id}&confirm=1"
                                   "&outcome=CONFIRMED&note=")
    assert "alert-danger" in blank.text and "note" in blank.text
    async with sessions() as s:
        assert (await s.get(m.ContractBreach, breach_id)).status == BreachStatus.OPEN
    done = await admin_client.get(f"/admin/contract-breach/action/resolve-breach?pks={breach_id}&confirm=1"
                                  "&outcome=CONFIRMED&note=moved+to+Almaty")
    assert done.status_code == 200 and "contract is terminated" in done.text
    async with sessions() as s:
        case = await s.get(m.ContractBreach, breach_id)
        contract = await s.get(m.SocialContract, contract_id)
        (termination,) = await f.termination_rows(s, contract_id)
    assert (case.status, case.resolved_by, case.note) == (BreachStatus.CONFIRMED, "admin:alice.admin", "moved to Almaty")
    assert contract.status == ContractStatus.TERMINATED
    assert (termination.reason, termination.refund_due) == (TerminationReason.LEFT_REGION, Decimal("12345.67"))
    again = await admin_client.get(f"/admin/contract-breach/action/resolve-breach?pks={breach_id}&confirm=1"
                                   "&outcome=DISMISSED&note=again")
    assert "alert-danger" in again.text and "already CONFIRMED" in again.text


async def test_an_auditor_may_not_resolve(auditor_client: httpx.AsyncClient, sessions: Any) -> None:
    _, breach_id = await open_case(sessions)
    async with sessions() as s:
        before = (await s.execute(select(func.count()).select_from(m.AuditEvent))).scalar_one()
    response = await auditor_client.get(f"/admin/contract-breach/action/resolve-breach?pks={breach_id}&confirm=1"
                                        "&outcome=DISMISSED&note=nothing")
    assert response.status_code in (200, 403)
    async with sessions() as s:
        assert (await s.get(m.ContractBreach, breach_id)).status == BreachStatus.OPEN
        assert (await s.execute(select(func.count()).select_from(m.AuditEvent))).scalar_one() == before
