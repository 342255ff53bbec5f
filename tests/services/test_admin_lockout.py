"""Admin panel logins (issue 20): every attempt is audited with its address; five
failures within fifteen minutes lock the account for fifteen minutes, and the
audit trail says so."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import models as m
from core.db import transaction
from models.base import utcnow
from services import auth
from services.viewer import SYSTEM

PASSWORD = "correct horse battery staple"


async def attempt(sessions: async_sessionmaker[AsyncSession], password: str, *, username: str = "alice",
                  now: dt.datetime | None = None) -> auth.AdminLogin:
    async with transaction(sessions) as session:
        return await auth.login_admin(session, username, password, address="203.0.113.7", now=now)


async def events(sessions: async_sessionmaker[AsyncSession]) -> list[m.AuditEvent]:
    async with sessions() as session:
        return list((await session.execute(
            select(m.AuditEvent).where(m.AuditEvent.action.like("admin.%")).order_by(m.AuditEvent.id))).scalars())


async def test_failed_logins_are_audited_with_the_address(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with transaction(sessions) as session:
        account = await auth.create_admin_account(session, SYSTEM, "alice", PASSWORD)
    outcome = await attempt(sessions, "wrong password!!")
    assert outcome.account is None and outcome.locked_until is None
    assert outcome.message == "Invalid credentials."
    await attempt(sessions, "whatever it is", username="nobody")
    assert (await attempt(sessions, PASSWORD)).account is not None
    trail = [(e.action, e.entity_id, e.changes, e.actor_subject) for e in await events(sessions)]
    assert trail == [
        ("admin.login_failed", account.id, {"username": "alice", "address": "203.0.113.7"}, "anonymous@203.0.113.7"),
        ("admin.login_failed", None, {"username": "nobody", "address": "203.0.113.7"}, "anonymous@203.0.113.7"),
        ("admin.login", account.id, {"address": "203.0.113.7"}, "admin:alice"),
    ]


async def test_five_failures_lock_the_account_for_fifteen_minutes(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    async with transaction(sessions) as session:
        account = await auth.create_admin_account(session, SYSTEM, "alice", PASSWORD)
    for _ in range(4):
        assert (await attempt(sessions, "wrong password!!")).locked_until is None
    fifth = await attempt(sessions, "wrong password!!")
    assert fifth.account is None and fifth.locked_until is not None
    assert "locked until" in fifth.message
    # locked: even the right password is refused, and that is audited too
    refused = await attempt(sessions, PASSWORD)
    assert refused.account is None and refused.locked_until == fifth.locked_until
    trail = await events(sessions)
    assert [e.action for e in trail] == ["admin.login_failed"] * 5 + ["admin.locked", "admin.login_refused_locked"]
    lock = trail[5]
    assert lock.entity_id == account.id and lock.changes["failures"] == 5
    assert lock.changes["address"] == "203.0.113.7" and lock.changes["locked_until"]

    # fifteen minutes later the account opens again, and counting starts afresh
    later = utcnow() + auth.LOCKOUT_FOR + dt.timedelta(seconds=5)
    again = await attempt(sessions, "wrong password!!", now=later)
    assert again.account is None and again.locked_until is None
    assert (await attempt(sessions, PASSWORD, now=later)).account is not None


async def test_failures_spread_over_more_than_the_window_do_not_lock(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    async with transaction(sessions) as session:
        await auth.create_admin_account(session, SYSTEM, "alice", PASSWORD)
    for _ in range(4):
        await attempt(sessions, "wrong password!!")
    # the four are more than fifteen minutes old by the fifth
    later = utcnow() + auth.LOCKOUT_WINDOW + dt.timedelta(seconds=5)
    assert (await attempt(sessions, "wrong password!!", now=later)).locked_until is None
    assert (await attempt(sessions, PASSWORD, now=later)).account is not None
