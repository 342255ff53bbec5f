"""The audit trail is append-only on PostgreSQL (migration 0006, issue 19): the
application's role inserts audit events, and a trigger refuses every UPDATE,
DELETE and TRUNCATE of them. On SQLite the migration adds nothing."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from core.db import transaction
from services import audit
from services.viewer import SYSTEM
from tests.conftest import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="the append-only trigger exists on PostgreSQL only")

ATTEMPTS = {
    "UPDATE": "UPDATE audit_event SET actor_subject = 'someone-else' WHERE id = :id",
    "DELETE": "DELETE FROM audit_event WHERE id = :id",
    "TRUNCATE": "TRUNCATE audit_event",
}


async def _left_by_earlier_tests(sessions: Any) -> int:
    """The test database's reset (``seed_snapshot.reset()``, DELETE with
    ``session_replication_role = replica``, which skips ordinary triggers) still
    empties the trail between tests: no event of these tests is ever left."""
    async with sessions() as s:
        return (await s.execute(sa.text("SELECT count(*) FROM audit_event WHERE action = 'test.append_only'"))).scalar_one()


async def _trail(sessions: Any) -> list[tuple[Any, ...]]:
    async with sessions() as s:
        return [tuple(r) for r in await s.execute(sa.text(
            "SELECT id, actor_subject, action, entity_id FROM audit_event ORDER BY id"))]


@pytest.mark.parametrize("operation", list(ATTEMPTS))
async def test_an_audit_event_cannot_be_changed_or_removed(operation: str, sessions: Any) -> None:
    assert await _left_by_earlier_tests(sessions) == 0
    async with transaction(sessions) as s:
        event = await audit.record(s, SYSTEM, "test.append_only", "application", 1, {"status": "SUBMITTED"})
        await s.flush()
        event_id = event.id
    before = await _trail(sessions)
    assert (event_id, "system", "test.append_only", 1) in before

    with pytest.raises(DBAPIError, match="audit_event is append-only") as refused:
        async with transaction(sessions) as s:
            await s.execute(sa.text(ATTEMPTS[operation]), {"id": event_id})
    assert f"{operation} refused" in str(refused.value)
    assert await _trail(sessions) == before

    # Inserting goes on as before.
    async with transaction(sessions) as s:
        await audit.record(s, SYSTEM, "test.append_only", "application", 2, {})
    assert len(await _trail(sessions)) == len(before) + 1


async def test_the_trigger_fires_for_every_row(sessions: Any) -> None:
    """One statement over many rows is refused as a whole: nothing of it is applied."""
    assert await _left_by_earlier_tests(sessions) == 0
    async with transaction(sessions) as s:
        for n in range(3):
            await audit.record(s, SYSTEM, "test.append_only", "application", n, {})
    before = await _trail(sessions)
    with pytest.raises(DBAPIError, match="append-only"):
        async with transaction(sessions) as s:
            await s.execute(sa.text("UPDATE audit_event SET changes = '{}'::jsonb"))
    assert await _trail(sessions) == before
