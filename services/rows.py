"""Reading the one row a write changes: locked for update, NOT_FOUND when it is
missing, INVALID_STATE when its rule says it may not change; adding a row a unique
key may refuse; its fields set, with the values they replace; serialising the
writers that look for the same keys."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.errors import invalid_state, not_found

T = TypeVar("T")


async def locked(session: AsyncSession, model: type[T], pk: int, what: str,
                 refusal: Callable[[T], str | None] | None = None, *,
                 field: Sequence[str] = ("input", "id")) -> T:
    """Row ``pk`` of ``model`` (``SELECT … FOR UPDATE`` on PostgreSQL), read anew from
    the database once locked. Errors name ``field`` (``input.id`` unless told):
    ``what`` not found, or the reason ``refusal(row)`` gives."""
    row = await session.get(model, pk, with_for_update=True, populate_existing=True)
    if row is None:
        raise not_found(what, *field)
    reason = refusal(row) if refusal is not None else None
    if reason:
        raise invalid_state(reason, *field)
    return row


async def added(session: AsyncSession, row: object) -> bool:
    """Add ``row`` and flush it in a savepoint: False, and nothing written, when the
    database refuses it (a unique key another write took a moment ago)."""
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        return False
    return True


_ADVISORY_LOCKS = text(
    "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(CAST(:keys AS text[])) WITH ORDINALITY AS u(k, n)"
)


async def postgres_lock(session: AsyncSession, *keys: str) -> None:
    """Serialise transactions that look for the same anti-fraud keys (PostgreSQL;
    on SQLite every writer already holds the database's write lock): every key's
    transaction-scoped advisory lock, in sorted order, with one statement."""
    if session.get_bind().dialect.name != "postgresql":
        return
    conn = await session.connection()
    await conn.execute(_ADVISORY_LOCKS, {"keys": sorted(set(keys))})


KNOWN_ROWS = "qonys_known_rows"


def known(session: AsyncSession, model: type, row: Any) -> Any:
    """Say that ``row`` (a row of every column of ``model``'s table, as this
    transaction wrote it: ``INSERT``/``UPDATE … RETURNING``, or read it under its
    lock) is what a read after the commit would find, and that the writer may read
    it. The GraphQL layer starts the answer's loaders from these rows instead of
    reading them again (``api.graphql.context.Context.write``). Returns ``row``."""
    session.info.setdefault(KNOWN_ROWS, []).append((model, row))
    return row


def known_rows(session: AsyncSession) -> list[tuple[type, Any]]:
    """The rows :func:`known` recorded in ``session`` (model, row), in order."""
    return session.info.get(KNOWN_ROWS, [])


def assign(row: object, values: Mapping[str, Any]) -> dict[str, Any]:
    """Set ``values`` on ``row``; returns the values they replace (for the audit)."""
    previous = {name: getattr(row, name) for name in values}
    for name, value in values.items():
        setattr(row, name, value)
    return previous
