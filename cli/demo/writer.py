"""Writing a batch: primary keys reserved per batch (``nextval`` on PostgreSQL,
``max(id)`` under SQLite's write lock), numbers by advancing their counters,
rows by ``COPY`` on PostgreSQL and Core ``INSERT`` executemany on SQLite, and
the quota seats the batch took. The audit events of the applications' moves go
in last, in their order (the database numbers them), completed with the ids and
numbers just written (:class:`cli.demo.common.Ref`)."""

from __future__ import annotations

import json
import operator
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy import case, insert, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from cli.demo.common import TABLE_ORDER, Batch, Event, almaty_date
from cli.demo.context import Context
from models import (
    Applicant,
    Application,
    ApplicationDecision,
    AuditEvent,
    Check,
    ContractTermination,
    DecisionReview,
    FamilyMember,
    Interview,
    KandasStatus,
    LanguageTest,
    NumberSequence,
    Questionnaire,
    RefundPayment,
    Score,
    ScoreHistory,
    SelectionRound,
    SelectionRoundApproval,
    SelectionRoundPassedOver,
    SocialContract,
    SupportPayment,
)
from models.types import json_from_text
from services.errors import invalid_state
from services.numbers import counter_name, format_number
from services.quotas import take_seats
from services.search import search_key

# The tables of TABLE_ORDER, with their foreign keys to rows of the same batch:
# column -> parent table.
_TABLES: dict[str, sa.Table] = {
    m.__tablename__: m.__table__  # type: ignore[attr-defined]
    for m in (Applicant, Application, LanguageTest, Questionnaire, FamilyMember, Check, Interview, Score, ScoreHistory,
              SelectionRound,
              SelectionRoundApproval, SelectionRoundPassedOver, ApplicationDecision, SocialContract, SupportPayment,
              ContractTermination, RefundPayment, KandasStatus, DecisionReview)
}
_REFS: dict[str, dict[str, str]] = {
    "application": {"applicant_id": "applicant"},
    "language_test": {"application_id": "application"},
    "questionnaire": {"application_id": "application"},
    "family_member": {"application_id": "application"},
    "check_result": {"application_id": "application"},
    "interview": {"application_id": "application"},
    "score": {"application_id": "application"},
    "score_history": {"application_id": "application"},
    "selection_round_approval": {"round_id": "selection_round", "application_id": "application"},
    "selection_round_passed_over": {"round_id": "selection_round", "application_id": "application"},
    "application_decision": {"application_id": "application", "selection_round_id": "selection_round"},
    "social_contract": {"application_id": "application"},
    "support_payment": {"contract_id": "social_contract"},
    "contract_termination": {"contract_id": "social_contract"},
    "refund_payment": {"contract_id": "social_contract"},
    "kandas_status": {"application_id": "application", "applicant_id": "applicant"},
    "decision_review": {"application_id": "application"},
}

# The numbered tables: prefix, and the date whose year numbers a row.
_NUMBERED: dict[str, tuple[str, Any]] = {
    "application": ("RP", lambda row: almaty_date(row["submitted_at"])),
    "social_contract": ("SC", lambda row: row["start_date"]),
    "kandas_status": ("KS", lambda row: row["granted_on"]),
    "decision_review": ("RV", lambda row: almaty_date(row["requested_at"])),
}


async def _reserve_ids(conn: AsyncConnection, dialect: str, table: str, n: int, sequences: dict[str, str]) -> list[int]:
    """``n`` fresh primary keys for ``table``."""
    if dialect == "postgresql":
        if table not in sequences:
            sequences[table] = (await conn.execute(
                text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table})).scalar_one()
        rows = await conn.execute(text("SELECT nextval(CAST(:s AS regclass)) FROM generate_series(1, :n)"),
                                  {"s": sequences[table], "n": n})
        return sorted(int(v) for v in rows.scalars())
    # SQLite: the batch holds the write lock (BEGIN IMMEDIATE), so max(id) is ours to extend.
    top = (await conn.execute(text(f'SELECT coalesce(max(id), 0) FROM "{table}"'))).scalar_one()  # noqa: S608
    return list(range(int(top) + 1, int(top) + 1 + n))


async def _reserve_numbers(conn: AsyncConnection, dialect: str, name: str, floor: int, n: int) -> int:
    """Advance the counter ``name`` by ``n`` (from at least ``floor``); the first number reserved."""
    values = {"name": name, "value": 0}
    stmt = (pg_insert(NumberSequence) if dialect == "postgresql"
            else sqlite_insert(NumberSequence)).values(**values).on_conflict_do_nothing()
    await conn.execute(stmt)
    current = NumberSequence.__table__.c.value  # type: ignore[attr-defined]
    top = (await conn.execute(
        update(NumberSequence.__table__).where(NumberSequence.__table__.c.name == name)  # type: ignore[attr-defined]
        .values(value=case((current < floor, floor), else_=current) + n).returning(current)
    )).scalar_one()
    return int(top) - n + 1


async def number(session: AsyncSession, ctx: Context, b: Batch) -> None:
    """Give the batch's numbered rows (applications, contracts, kandas statuses, reviews) their
    numbers, advancing the counters."""
    conn = await session.connection()
    for table, (prefix, dated) in _NUMBERED.items():
        rows = b.rows[table]
        by_year: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_year[dated(row).year].append(row)
        for year, group in sorted(by_year.items()):
            name = counter_name(prefix, year)
            first = await _reserve_numbers(conn, ctx.dialect, name, ctx.number_floor.get(name, 0), len(group))
            for k, row in enumerate(group):
                row["number"] = format_number(prefix, year, first + k)
                if table == "application":
                    person = b.rows["applicant"][row["applicant_id"]]
                    row["search_key"] = search_key(number=row["number"], full_name=person["full_name"],
                                                   iin=row["iin"], document_number=row["document_number"])


_EVENT_COLUMNS = ("at", "actor_subject", "actor_role", "action", "entity_type", "entity_id", "changes")


def _event_records(b: Batch, events: list[Event], app_ids: list[int]) -> list[tuple[Any, ...]]:
    """The audit events as rows of ``_EVENT_COLUMNS`` (``changes`` as JSON text, with
    its references to rows just written filled in)."""
    rows, dumps = b.rows, json.dumps
    records = []
    for e in events:
        changes = e.changes
        if e.refs:
            added = ", ".join(f"{dumps(key)}: {dumps(rows[r.table][r.index][r.column])}" for key, r in e.refs)
            changes = f"{changes[:-1]}, {added}}}" if len(changes) > 2 else f"{{{added}}}"
        records.append((e.at, e.actor_subject, e.actor_role, e.action, "application", app_ids[e.app_index], changes))
    return records


async def _write_events(conn: AsyncConnection, raw: Any, b: Batch, app_ids: list[int]) -> int:
    """Insert the batch's audit events, ids from the table's sequence in their order."""
    if not b.events:
        return 0
    records = _event_records(b, b.events, app_ids)
    if raw is not None:
        await raw.copy_records_to_table("audit_event", records=records, columns=_EVENT_COLUMNS)
    else:
        table = AuditEvent.__table__  # type: ignore[attr-defined]
        text_json = json_from_text(sa.bindparam("changes_json", type_=sa.Text()), conn.dialect.name)
        await conn.execute(insert(table).values(changes=text_json),
                           [dict(zip(_EVENT_COLUMNS[:-1], r[:-1]), changes_json=r[-1]) for r in records])
    return len(records)


async def write(session: AsyncSession, ctx: Context, b: Batch, sequences: dict[str, str]) -> dict[str, int]:
    """Insert the batch (already numbered), parents first, and take its quota seats."""
    conn = await session.connection()
    dialect = ctx.dialect
    if dialect == "postgresql":
        # A bulk load: big COPYs and a wait for another writer's quota row are expected.
        await conn.execute(text("SET LOCAL statement_timeout = '10min'"))
        await conn.execute(text("SET LOCAL lock_timeout = '10min'"))
    # PostgreSQL: COPY on the session's own connection, inside its transaction
    # (several times faster than INSERT … VALUES for these volumes).
    raw = (await conn.get_raw_connection()).driver_connection if dialect == "postgresql" else None
    ids: dict[str, list[int]] = {}
    written: dict[str, int] = {}
    for table in TABLE_ORDER:
        rows = b.rows[table]
        if not rows:
            continue
        new_ids = await _reserve_ids(conn, dialect, table, len(rows), sequences)
        refs = [(column, ids.get(parent, [])) for column, parent in _REFS.get(table, {}).items()]
        for row, new_id in zip(rows, new_ids):
            row["id"] = new_id
            for column, parent_ids in refs:
                if row[column] is not None:  # a nullable reference (a decision without a round)
                    row[column] = parent_ids[row[column]]
        ids[table] = new_ids
        if raw is not None:
            columns = [c.name for c in _TABLES[table].columns]
            values = operator.itemgetter(*columns)
            await raw.copy_records_to_table(table, records=[values(row) for row in rows], columns=columns)
        else:
            await conn.execute(insert(_TABLES[table]), rows)
        written[table] = len(rows)
    written["audit_event"] = await _write_events(conn, raw, b, ids.get("application", []))
    for quota_id, seats in sorted(b.quota_seats.items()):
        if seats and not await take_seats(session, quota_id, seats):
            raise invalid_state(f"quota {quota_id} changed while demo data was being generated; run it again")
    return written

