"""The panel's login page and the lockout of services.auth (issue 20): failed
logins are audited with the address, the fifth within fifteen minutes locks the
account, and the page says until when."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from models import AuditEvent
from tests.admin.test_admin import ADMIN, PASSWORD, accounts, login  # noqa: F401 (fixture)


async def test_five_failed_logins_lock_the_account_and_the_page_says_so(client: httpx.AsyncClient,
                                                                        accounts: None, sessions: Any) -> None:
    for _ in range(4):
        response = await login(client, ADMIN, "not the password at all")
        assert response.status_code == 400 and "Invalid credentials" in response.text
    fifth = await login(client, ADMIN, "not the password at all")
    assert fifth.status_code == 400
    assert "this account is locked until" in fifth.text
    # the right password is refused while the lock lasts
    right = await login(client, ADMIN, PASSWORD)
    assert right.status_code == 400 and "this account is locked until" in right.text
    assert (await client.get("/admin/dashboard")).status_code == 302
    async with sessions() as session:
        trail = (await session.execute(select(AuditEvent).where(AuditEvent.action.like("admin.%"))
                                       .order_by(AuditEvent.id))).scalars().all()
    assert [e.action for e in trail] == ["admin.login_failed"] * 5 + ["admin.locked", "admin.login_refused_locked"]
    assert all(e.changes["address"] == "127.0.0.1" for e in trail), [e.changes for e in trail]
