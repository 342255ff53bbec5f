"""Audit events, written in the same transaction as the change they describe."""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditEvent
from models.base import utcnow
from models.types import json_from_text
from services.viewer import Viewer


def plain(value: Any) -> Any:
    """``value`` as JSON values: enum members as their values, decimals as text,
    dates as ISO text, mappings and collections item by item."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    return value



async def record(
    session: AsyncSession,
    viewer: Viewer,
    action: str,
    entity_type: str,
    entity_id: int | None,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        at=utcnow(),
        actor_subject=viewer.audit_subject,
        actor_role=viewer.role,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        changes=plain(changes or {}),
    )
    session.add(event)
    return event


async def record_many(
    session: AsyncSession,
    viewer: Viewer,
    action: str,
    entity_type: str,
    events: Iterable[tuple[int | None, Mapping[str, Any] | str]],
    *,
    at: dt.datetime | None = None,
) -> int:
    """``record`` for many events of one action: ``(entity id, changes)`` pairs,
    written with one Core INSERT (executemany) at one time ``at`` (now by
    default), no ORM objects. ``changes`` is a dict (made plain as ``record``
    does) or the JSON text of an object of plain values, written as it is.
    Returns how many events were written."""
    when = at or utcnow()
    rows = [
        {"at": when, "actor_subject": viewer.audit_subject, "actor_role": viewer.role, "action": action,
         "entity_type": entity_type, "entity_id": entity_id,
         "changes_json": changes if isinstance(changes, str) else json.dumps(plain(changes))}
        for entity_id, changes in events
    ]
    if rows:
        await session.flush()  # events recorded earlier (``record``) keep their order
        await (await session.connection()).execute(_insert_events(session.get_bind().dialect.name), rows)
    return len(rows)


@cache
def _insert_events(dialect: str) -> sa.Insert:
    """The INSERT of ``record_many`` on ``dialect``, built once: ``changes`` from its JSON text."""
    changes_json = json_from_text(sa.bindparam("changes_json", type_=sa.Text()), dialect)
    return sa.insert(AuditEvent.__table__).values(changes=changes_json)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """``{field: [old, new]}`` for the fields that changed."""
    return {k: [plain(before.get(k)), plain(v)] for k, v in after.items() if before.get(k) != v}
