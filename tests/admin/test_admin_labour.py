"""The admin panel's employers, work permits, violations and suspension thresholds
(SPEC §15), and the dashboard's permits by category."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from sqlalchemy import select

from core.db import transaction
from models import Employer, SuspensionRule
from models.enums import Decision, PermitCategory, ViolationKind
from services.labour import employers, permits, violations
from services.labour.employers import StaffCount
from services.labour.violations import suspension_rule
from models.enums import StaffCategory
from tests.admin.test_admin import ADMIN, accounts, admin_client, audit_events  # noqa: F401  (fixtures)
from tests.services.test_labour import OFFICER, next_bin


async def test_employers_permits_violations_and_the_dashboard(admin_client: httpx.AsyncClient, sessions: Any) -> None:
    async with transaction(sessions) as s:
        employer = await employers.register_employer(s, OFFICER, bin=next_bin(), name="Dashboard Works LLP",
                                                     region_code="KZ-55",
                                                     local_staff=[StaffCount(StaffCategory.CAT3, 900)])
        permit = await permits.request_work_permit(s, OFFICER, employer_id=employer.id, category=PermitCategory.CAT3,
                                                   occupation_code="7212", region_code="KZ-55", workers=7,
                                                   valid_months=12)
        await permits.decide_work_permit(s, OFFICER, permit_id=permit.id, decision=Decision.APPROVE)
        await violations.record_violation(s, OFFICER, kind=ViolationKind.OVERSTAY, occurred_on=dt.date(2026, 4, 1),
                                          external_id="ADMIN-V-1", employer_id=employer.id)
    for path, text in (("/admin/employer/list", employer.bin), ("/admin/work-permit/list", permit.number),
                       ("/admin/violation/list", "ADMIN-V-1")):
        page = await admin_client.get(path)
        assert page.status_code == 200 and text in page.text, path
    assert (await admin_client.get(f"/admin/employer/edit/{employer.id}")).status_code == 403  # services write them
    page = await admin_client.get("/admin/dashboard")
    assert page.status_code == 200 and 'id="permits-by-category"' in page.text
    row = page.text.split("<td>CAT3</td>", 1)[1].split("</tr>", 1)[0]
    assert [cell.split(">")[-1] for cell in row.split("</td>")[:6]] == ["0", "1", "0", "7", "7", "0"]


async def test_the_suspension_threshold_is_edited_and_audited(admin_client: httpx.AsyncClient, sessions: Any) -> None:
    async with sessions() as s:
        rule = (await s.execute(select(SuspensionRule))).scalar_one()
        assert await suspension_rule(s) == (2, 12, 12)
    form = {"code": rule.code, "violations": "3", "window_months": "12", "suspension_months": "6", "save": "Save"}
    response = await admin_client.post(f"/admin/suspension-rule/edit/{rule.id}", data=form)
    assert response.status_code == 302, response.text
    [event] = await audit_events(sessions, entity_type="suspension_rule", entity_id=rule.id)
    assert event.actor_subject == f"admin:{ADMIN}" and event.changes == {"violations": [2, 3],
                                                                        "suspension_months": [12, 6]}
    async with sessions() as s:
        assert await suspension_rule(s) == (3, 12, 6)
    refused = await admin_client.post(f"/admin/suspension-rule/edit/{rule.id}", data={**form, "violations": "0"})
    assert refused.status_code == 400 and "violations must be from 1 to 100" in refused.text
    async with sessions() as s:
        assert (await s.execute(select(Employer))).first() is None
