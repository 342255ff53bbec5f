"""Reference-data writes (services.reference): validated with field paths,
audited, and refused cleanly when the database would refuse them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

import models as m
from core.db import transaction
from services import reference
from services.errors import ErrorCode, ServiceError
from services.viewer import ADMIN_PANEL_ROLE, SYSTEM, Viewer

ADMIN = Viewer(subject="admin:alice", role=ADMIN_PANEL_ROLE)


async def refused(sessions: Any, work: Any) -> list[tuple[ErrorCode, tuple[str, ...] | None, str]]:
    with pytest.raises(ServiceError) as exc:
        async with transaction(sessions) as s:
            await work(s)
    return [(e.code, e.field, e.message) for e in exc.value.errors]


async def events(sessions: Any, entity_type: str) -> list[m.AuditEvent]:
    async with sessions() as s:
        return list((await s.execute(select(m.AuditEvent).where(m.AuditEvent.entity_type == entity_type)
                                     .order_by(m.AuditEvent.id))).scalars())


async def test_every_problem_is_reported_on_its_field(sessions: Any) -> None:
    problems = await refused(sessions, lambda s: reference.create(
        s, ADMIN, m.MrpValue, {"year": 1999, "amount": Decimal("-1")}))
    assert [(code, field) for code, field, _ in problems] == [
        (ErrorCode.INVALID_INPUT, ("input", "year")), (ErrorCode.INVALID_INPUT, ("input", "amount"))]
    assert problems[0][2] == "year must be from 2000 to 2100 (got 1999)"
    assert problems[1][2] == "the MRP must be positive"
    [(_, field, message)] = await refused(sessions, lambda s: reference.create(
        s, ADMIN, m.Occupation, {"code": "12a", "name_en": "x", "name_ru": "x"}))
    assert field == ("input", "code") and "4 digits" in message
    problems = await refused(sessions, lambda s: reference.create(
        s, ADMIN, m.TerminationReasonRule, {"code": "NOPE", "name": " ", "refundable": True}))
    assert [field for _, field, _ in problems] == [("input", "code"), ("input", "name")]
    assert "is not one of" in problems[0][2] and problems[1][2] == "name is required"
    assert not await events(sessions, "occupation")


async def test_create_update_delete_are_audited(sessions: Any) -> None:
    async with transaction(sessions) as s:
        row = await reference.create(s, ADMIN, m.Occupation, {"code": " 9999 ", "name_en": "Testers", "name_ru": "Т"})
    async with transaction(sessions) as s:
        await reference.update(s, ADMIN, m.Occupation, row.id, {"name_en": "Software testers"})
    async with transaction(sessions) as s:
        await reference.delete(s, ADMIN, m.Occupation, row.id)
    created, updated, deleted = await events(sessions, "occupation")
    assert (created.action, created.actor_subject) == ("occupation.create", "admin:alice")
    assert created.changes == {"code": "9999", "name_en": "Testers", "name_ru": "Т", "name_kk": None}
    assert updated.changes == {"name_en": ["Testers", "Software testers"]}
    assert deleted.action == "occupation.delete" and deleted.changes["code"] == "9999"


async def test_database_refusals_are_service_errors(sessions: Any) -> None:
    async with sessions() as s:
        region = (await s.execute(select(m.Region).where(m.Region.code == "KZ-55"))).scalar_one()
        used_region = (await s.execute(select(m.Quota.region_id))).scalars().first()
    [(code, _, message)] = await refused(sessions, lambda s: reference.delete(s, SYSTEM, m.Region, used_region))
    assert code == ErrorCode.CONFLICT and "referenced" in message
    [(code, _, _)] = await refused(sessions, lambda s: reference.create(s, SYSTEM, m.Region, {
        "code": region.code, "name_kk": "x", "name_ru": "x", "name_en": "x", "kind": "oblast",
        "labour_deficit": False}))
    assert code == ErrorCode.DUPLICATE
    async with sessions() as s:
        assert await s.get(m.Region, used_region) is not None
    assert not await events(sessions, "region")


async def test_only_administrators_write_reference_data(sessions: Any) -> None:
    auditor = Viewer(subject="admin:bob", role=ADMIN_PANEL_ROLE, read_only=True)
    [(code, _, _)] = await refused(sessions, lambda s: reference.create(
        s, auditor, m.Agency, {"code": "X", "name": "X", "active": True}))
    assert code == ErrorCode.FORBIDDEN


async def test_region_codes_follow_the_rule_of_every_region_code_input(sessions: Any) -> None:
    """One rule for a region code (``services.rules``): any case is read, the
    code is stored as ISO writes it, and an unknown one is named in the message."""
    [(code, field, message)] = await refused(sessions, lambda s: reference.create(s, ADMIN, m.Region, {
        "code": "kz-99", "name_kk": "x", "name_ru": "x", "name_en": "x", "kind": "oblast", "labour_deficit": False}))
    assert (code, field) == (ErrorCode.INVALID_INPUT, ("input", "code")) and "KZ-99" in message
    async with sessions() as s:
        region = (await s.execute(select(m.Region).where(m.Region.code == "KZ-55"))).scalar_one()
    async with transaction(sessions) as s:
        updated = await reference.update(s, ADMIN, m.Region, region.id, {"code": " kz-55 ", "name_en": "Pavlodar"})
    assert updated.code == "KZ-55"
    [event] = await events(sessions, "region")
    assert event.changes == {"name_en": [region.name_en, "Pavlodar"]}
