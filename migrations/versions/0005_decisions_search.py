"""decisions, cancelled checks, application search, round history (issue 13 items 5, 11, 12, 13)

- ``application_decision``: outcome, reason, when and who for every application
  that left the undecided states, filled in from the audit trail (and the
  selection rounds) for the applications already decided or withdrawn;
- ``check_result.status`` may be ``CANCELLED``; the checks still ``REQUESTED`` of
  applications already decided or withdrawn are cancelled (their ``updated_at``
  moves forward, so the agencies' feed shows the change once);
- ``application.search_key`` (number, name, IIN, document, folded to lower-case
  Latin by ``services.search``), backfilled, with a trigram index on PostgreSQL;
- ``selection_round_passed_over``, filled in from the rounds' audit events.

On SQLite the ``application`` table is never rebuilt (batch mode's copy, drop and
rename): with foreign keys enforced, dropping a table that other rows reference
fails inside the migration's transaction. Its new column is added (and dropped)
in place. ``check_result`` is rebuilt to change its CHECK constraint: no table
references it.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from models.base import ALMATY
from models.types import JSONType, UTCDateTime
from migrations.helpers import (
    CASCADE, NULL, SET_NULL, create_table, drop_tables, enum, fk, index, integer, string, timestamp,
)

revision = '0002d_reads'
down_revision = '0002a_family'

OLD_CHECK_STATUSES = ('REQUESTED', 'CLEARED', 'FLAGGED', 'REJECTED')
NEW_CHECK_STATUSES = (*OLD_CHECK_STATUSES, 'CANCELLED')
DECIDED = ('APPROVED', 'REJECTED', 'WITHDRAWN')
CHUNK = 1000

# Lightweight tables for the data steps (the types convert timestamps and JSON on both databases).
application = sa.table(
    'application', sa.column('id', sa.Integer), sa.column('number', sa.String), sa.column('applicant_id', sa.Integer),
    sa.column('status', sa.String), sa.column('iin', sa.String), sa.column('document_number', sa.String),
    sa.column('decided_at', UTCDateTime()), sa.column('decision_reason', sa.String),
    sa.column('updated_at', UTCDateTime()), sa.column('search_key', sa.Text),
)
applicant = sa.table('applicant', sa.column('id', sa.Integer), sa.column('full_name', sa.String))
check_result = sa.table(
    'check_result', sa.column('id', sa.Integer), sa.column('application_id', sa.Integer),
    sa.column('status', sa.String), sa.column('details', sa.String), sa.column('completed_at', UTCDateTime()),
    sa.column('updated_at', UTCDateTime()), sa.column('recorded_by', sa.String),
)
audit_event = sa.table(
    'audit_event', sa.column('id', sa.Integer), sa.column('at', UTCDateTime()), sa.column('actor_subject', sa.String),
    sa.column('action', sa.String), sa.column('entity_type', sa.String), sa.column('entity_id', sa.Integer),
    sa.column('changes', JSONType),
)
selection_round = sa.table(
    'selection_round', sa.column('id', sa.Integer), sa.column('quota_id', sa.Integer),
    sa.column('ran_at', UTCDateTime()), sa.column('ran_by', sa.String),
)
selection_round_approval = sa.table(
    'selection_round_approval', sa.column('round_id', sa.Integer), sa.column('application_id', sa.Integer),
    sa.column('rank', sa.Integer), sa.column('score', sa.Integer), sa.column('seats', sa.Integer),
)
quota = sa.table('quota', sa.column('id', sa.Integer), sa.column('year', sa.Integer), sa.column('region_id', sa.Integer))
region = sa.table('region', sa.column('id', sa.Integer), sa.column('code', sa.String))


def _status_check(values: Sequence[str]) -> str:
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _set_check_statuses(values: Sequence[str]) -> None:
    with op.batch_alter_table('check_result', schema=None, recreate='always' if _sqlite() else 'auto') as batch_op:
        batch_op.drop_constraint(op.f('ck_check_result_check_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_check_result_check_status'), _status_check(values))


def _sqlite() -> bool:
    return op.get_bind().dialect.name == 'sqlite'


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        # Trigram indexes for the search (kept on downgrade: other schemas may use the extension).
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')

    op.add_column('application', sa.Column('search_key', sa.Text(), nullable=True))
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.create_index('ix_application_search_key', ['search_key'], unique=False, postgresql_using='gin',
                              postgresql_ops={'search_key': 'gin_trgm_ops'})

    _set_check_statuses(NEW_CHECK_STATUSES)

    create_table('application_decision',
        fk('application_id', ondelete=CASCADE),
        enum('outcome', 'decision_outcome', ('APPROVED', 'REJECTED', 'WITHDRAWN')),
        string('reason', 1000, NULL),
        timestamp('decided_at'),
        string('decided_by', 200, NULL),
        fk('selection_round_id', NULL, ondelete=SET_NULL),
        indexes=[index('ix_application_decision_application', 'application_id', 'decided_at', 'id')],
    )

    create_table('selection_round_passed_over',
        fk('round_id', to='selection_round', ondelete=CASCADE),
        fk('application_id', ondelete=CASCADE, index=True),
        integer('position'),
        integer('score', NULL),
        integer('seats', NULL),
        unique=[('round_id', 'application_id')],
    )

    _backfill_search_keys(bind)
    _backfill_decisions(bind)
    _backfill_passed_over(bind)
    _cancel_open_checks(bind)


def downgrade() -> None:
    bind = op.get_bind()
    # A cancelled check goes back to waiting: the old schema has no other word for it.
    bind.execute(check_result.update().where(check_result.c.status == 'CANCELLED')
                 .values(status='REQUESTED', details=None, recorded_by=None))
    drop_tables('selection_round_passed_over', 'application_decision')
    _set_check_statuses(OLD_CHECK_STATUSES)
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_index('ix_application_search_key', postgresql_using='gin',
                            postgresql_ops={'search_key': 'gin_trgm_ops'})
    op.drop_column('application', 'search_key')  # in place, also on SQLite (3.35+)


# ---------------------------------------------------------------- data


def _chunks(rows: list[Any]) -> Any:
    for i in range(0, len(rows), CHUNK):
        yield rows[i:i + CHUNK]


def _backfill_search_keys(bind: sa.Connection) -> None:
    # The same function the services write the key with: a key and the search text
    # are folded alike, whichever version of the code wrote the key.
    from services.search import search_key

    last = 0
    while True:
        rows = bind.execute(
            sa.select(application.c.id, application.c.number, applicant.c.full_name, application.c.iin,
                      application.c.document_number)
            .select_from(application.join(applicant, applicant.c.id == application.c.applicant_id))
            .where(application.c.id > last).order_by(application.c.id).limit(CHUNK)
        ).all()
        if not rows:
            return
        bind.execute(
            application.update().where(application.c.id == sa.bindparam('app_id'))
            .values(search_key=sa.bindparam('key')),
            [{'app_id': r.id, 'key': search_key(number=r.number, full_name=r.full_name, iin=r.iin,
                                                document_number=r.document_number)} for r in rows],
        )
        last = rows[-1].id


def _round_reason(ran_at: dt.datetime, year: int, region_code: str, rank: int, score: int, seats: int) -> str:
    on = ran_at.astimezone(ALMATY).date().isoformat()
    return (f"Approved by the selection round of {on} on the {year} KANDAS quota of {region_code}: "
            f"ranked {rank} with {score} points, {seats} seat(s) taken.")


def _backfill_decisions(bind: sa.Connection) -> None:
    """One decision per application already decided or withdrawn: a selection round's
    approval from the round; otherwise the newest decide/withdraw/approve audit event
    (who and when); otherwise the application's own ``decided_at`` and reason, with
    nobody named."""
    apps = bind.execute(
        sa.select(application.c.id, application.c.status, application.c.decided_at, application.c.decision_reason,
                  application.c.updated_at).where(application.c.status.in_(DECIDED)).order_by(application.c.id)
    ).all()
    if not apps:
        return
    rounds = {
        r.application_id: r for r in bind.execute(
            sa.select(selection_round_approval.c.application_id, selection_round_approval.c.round_id,
                      selection_round_approval.c.rank, selection_round_approval.c.score,
                      selection_round_approval.c.seats, selection_round.c.ran_at, selection_round.c.ran_by,
                      quota.c.year, region.c.code)
            .select_from(selection_round_approval
                         .join(selection_round, selection_round.c.id == selection_round_approval.c.round_id)
                         .join(quota, quota.c.id == selection_round.c.quota_id)
                         .join(region, region.c.id == quota.c.region_id))
        ).all()
    }
    events: dict[int, Any] = {}
    for event in bind.execute(
        sa.select(audit_event.c.entity_id, audit_event.c.at, audit_event.c.actor_subject, audit_event.c.action,
                  audit_event.c.changes)
        .where(audit_event.c.entity_type == 'application',
               audit_event.c.action.in_(('application.decide', 'application.withdraw', 'application.approve')))
        .order_by(audit_event.c.at, audit_event.c.id)
    ):
        events[event.entity_id] = event  # the newest wins
    rows = []
    for app in apps:
        row: dict[str, Any] = {'application_id': app.id, 'outcome': app.status, 'reason': app.decision_reason,
                               'decided_at': app.decided_at or app.updated_at, 'decided_by': None,
                               'selection_round_id': None}
        picked = rounds.get(app.id)
        event = events.get(app.id)
        if app.status == 'APPROVED' and picked is not None:
            row.update(decided_at=picked.ran_at, decided_by=picked.ran_by, selection_round_id=picked.round_id,
                       reason=_round_reason(picked.ran_at, picked.year, picked.code, picked.rank, picked.score,
                                            picked.seats))
        elif event is not None:
            changes = event.changes or {}
            row.update(decided_at=event.at, decided_by=event.actor_subject)
            if row['reason'] is None and isinstance(changes.get('reason'), str):
                row['reason'] = changes['reason']
        rows.append(row)
    decision = sa.table(
        'application_decision', sa.column('application_id', sa.Integer), sa.column('outcome', sa.String),
        sa.column('reason', sa.String), sa.column('decided_at', UTCDateTime()), sa.column('decided_by', sa.String),
        sa.column('selection_round_id', sa.Integer),
    )
    for chunk in _chunks(rows):
        bind.execute(decision.insert(), chunk)


def _backfill_passed_over(bind: sa.Connection) -> None:
    """The rounds' audit events list the candidates passed over above the last approved one."""
    existing = {r.id for r in bind.execute(sa.select(application.c.id))}
    round_ids = {r.id for r in bind.execute(sa.select(selection_round.c.id))}
    rows = []
    for event in bind.execute(
        sa.select(audit_event.c.entity_id, audit_event.c.changes)
        .where(audit_event.c.entity_type == 'selection_round', audit_event.c.action == 'selection_round.run')
    ):
        if event.entity_id not in round_ids:
            continue
        passed_over = (event.changes or {}).get('passedOver') or []
        seen: set[int] = set()
        for position, app_id in enumerate((a for a in passed_over if isinstance(a, int)), start=1):
            if app_id in existing and app_id not in seen:
                seen.add(app_id)
                rows.append({'round_id': event.entity_id, 'application_id': app_id, 'position': position})
    table = sa.table('selection_round_passed_over', sa.column('round_id', sa.Integer),
                     sa.column('application_id', sa.Integer), sa.column('position', sa.Integer))
    for chunk in _chunks(rows):
        bind.execute(table.insert(), chunk)


def _cancel_open_checks(bind: sa.Connection) -> None:
    """Checks still REQUESTED of applications already decided or withdrawn are cancelled."""
    now = dt.datetime.now(dt.timezone.utc)
    rows = bind.execute(
        sa.select(check_result.c.id, check_result.c.updated_at, application.c.status)
        .select_from(check_result.join(application, application.c.id == check_result.c.application_id))
        .where(check_result.c.status == 'REQUESTED', application.c.status.in_(DECIDED))
    ).all()
    notes = {'WITHDRAWN': 'Cancelled: the application was withdrawn.',
             'APPROVED': 'Cancelled: the application was decided (APPROVED) before this result came.',
             'REJECTED': 'Cancelled: the application was decided (REJECTED) before this result came.'}
    for chunk in _chunks(rows):
        bind.execute(
            check_result.update().where(check_result.c.id == sa.bindparam('check_id'))
            .values(status='CANCELLED', details=sa.bindparam('note'), completed_at=None,
                    updated_at=sa.bindparam('moved'), recorded_by='system:migration'),
            [{'check_id': r.id, 'note': notes[r.status],
              'moved': max(now, r.updated_at + dt.timedelta(microseconds=1))} for r in chunk],
        )
