"""explanations and transparency (issue 21, SPEC §17): score history, round statistics

- ``score_history``: every score an application has had (model version, total,
  passed, when, and why: FIRST_SCORE, NEW_FACTS, NEW_MODEL, REVIEW). Rebuilt from
  the audit trail for the scores computed so far: each ``application.score`` and
  ``application.rescore`` event is a row; a re-score is NEW_MODEL; a score with
  none before it is FIRST_SCORE; a score after an ``application.score_stale``
  event is NEW_FACTS; otherwise NEW_MODEL when the model version changed, else
  NEW_FACTS. A current score the trail does not explain (written before it was
  audited) becomes one FIRST_SCORE row at its ``computed_at``.
- ``selection_round.seats_offered`` (the seats left when the round ran), filled
  in from the rounds' ``selection_round.run`` events (capacity − used before), and
  ``selection_round.group_counts`` (the round's fairness counts), null for the
  rounds run before they were recorded.

On SQLite ``selection_round`` is not rebuilt (other tables reference it): its
columns are added and dropped in place.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from models.types import JSONType, UTCDateTime
from migrations.helpers import CASCADE, NULL, boolean, create_table, enum, fk, index, integer, string, timestamp

revision = '0010_explain'
down_revision = '0009_labour'

CHUNK = 1000
SCORE_ACTIONS = ('application.score', 'application.rescore', 'application.score_stale')

audit_event = sa.table(
    'audit_event', sa.column('id', sa.Integer), sa.column('at', UTCDateTime()), sa.column('action', sa.String),
    sa.column('entity_type', sa.String), sa.column('entity_id', sa.Integer), sa.column('changes', JSONType),
)
score = sa.table(
    'score', sa.column('application_id', sa.Integer), sa.column('scoring_model_id', sa.Integer),
    sa.column('model_version', sa.String), sa.column('total', sa.Integer), sa.column('max_total', sa.Integer),
    sa.column('pass_mark', sa.Integer), sa.column('passed', sa.Boolean), sa.column('computed_at', UTCDateTime()),
)
scoring_model = sa.table('scoring_model', sa.column('id', sa.Integer), sa.column('version', sa.String))
selection_round = sa.table('selection_round', sa.column('id', sa.Integer), sa.column('seats_offered', sa.Integer))


def upgrade() -> None:
    create_table('score_history',
        fk('application_id', ondelete=CASCADE),
        fk('scoring_model_id', NULL),
        string('model_version', 40),
        integer('total'),
        integer('max_total'),
        integer('pass_mark'),
        boolean('passed'),
        timestamp('computed_at'),
        enum('reason', 'score_reason', ('FIRST_SCORE', 'NEW_FACTS', 'NEW_MODEL', 'REVIEW')),
        indexes=[index('ix_score_history_application', 'application_id', 'computed_at', 'id')],
    )

    op.add_column('selection_round', sa.Column('seats_offered', sa.Integer(), nullable=True))
    op.add_column('selection_round', sa.Column('group_counts', JSONType, nullable=True))

    bind = op.get_bind()
    _backfill_history(bind)
    _backfill_seats_offered(bind)


def downgrade() -> None:
    op.drop_column('selection_round', 'group_counts')  # in place, also on SQLite (3.35+)
    op.drop_column('selection_round', 'seats_offered')
    op.drop_table('score_history')  # its index goes with it


# ---------------------------------------------------------------- data


def _reasoned(events: list[Any]) -> list[tuple[Any, str]]:
    """The score events of one application (oldest first), each with its reason."""
    rows: list[tuple[Any, str]] = []
    stale = False
    version: str | None = None
    for event in events:
        if event.action == 'application.score_stale':
            stale = True
            continue
        changes = event.changes or {}
        if event.action == 'application.rescore':
            reason = 'NEW_MODEL'
        elif version is None and not changes.get('previous'):
            reason = 'FIRST_SCORE'
        elif stale:
            reason = 'NEW_FACTS'
        else:
            before = version or (changes.get('previous') or {}).get('modelVersion')
            reason = 'NEW_MODEL' if before != changes.get('modelVersion') else 'NEW_FACTS'
        rows.append((event, reason))
        stale, version = False, changes.get('modelVersion')
    return rows


def _backfill_history(bind: sa.Connection) -> None:
    history = sa.table(
        'score_history', *(sa.column(name) for name in (
            'application_id', 'scoring_model_id', 'model_version', 'total', 'max_total', 'pass_mark', 'passed',
            'reason')), sa.column('computed_at', UTCDateTime()))
    models_by_version = dict(bind.execute(sa.select(scoring_model.c.version, scoring_model.c.id)).all())
    top = bind.execute(sa.select(sa.func.max(score.c.application_id))).scalar() or 0
    top = max(top, bind.execute(sa.select(sa.func.max(audit_event.c.entity_id)).where(
        audit_event.c.entity_type == 'application')).scalar() or 0)
    for low in range(0, top, CHUNK):
        high = low + CHUNK
        events = bind.execute(
            sa.select(audit_event.c.id, audit_event.c.at, audit_event.c.action, audit_event.c.entity_id,
                      audit_event.c.changes)
            .where(audit_event.c.entity_type == 'application', audit_event.c.action.in_(SCORE_ACTIONS),
                   audit_event.c.entity_id > low, audit_event.c.entity_id <= high)
            .order_by(audit_event.c.entity_id, audit_event.c.at, audit_event.c.id)).all()
        by_app: dict[int, list[Any]] = {}
        for event in events:
            by_app.setdefault(event.entity_id, []).append(event)
        rows: list[dict[str, Any]] = []
        for app_id, app_events in by_app.items():
            for event, reason in _reasoned(app_events):
                changes = event.changes
                result = changes.get('result') or {}
                rows.append({
                    'application_id': app_id, 'scoring_model_id': models_by_version.get(changes.get('modelVersion')),
                    'model_version': str(changes.get('modelVersion')), 'total': int(changes.get('total', 0)),
                    'max_total': int(result.get('maxTotal', 0)), 'pass_mark': int(result.get('passMark', 0)),
                    'passed': bool(changes.get('passed')), 'computed_at': event.at, 'reason': reason})
        explained = {row['application_id'] for row in rows}
        for current in bind.execute(sa.select(score).where(score.c.application_id > low,
                                                           score.c.application_id <= high)).all():
            if current.application_id not in explained:
                rows.append({
                    'application_id': current.application_id, 'scoring_model_id': current.scoring_model_id,
                    'model_version': current.model_version, 'total': current.total, 'max_total': current.max_total,
                    'pass_mark': current.pass_mark, 'passed': current.passed, 'computed_at': current.computed_at,
                    'reason': 'FIRST_SCORE'})
        if rows:
            bind.execute(history.insert(), rows)


def _backfill_seats_offered(bind: sa.Connection) -> None:
    runs = bind.execute(
        sa.select(audit_event.c.entity_id, audit_event.c.changes)
        .where(audit_event.c.entity_type == 'selection_round', audit_event.c.action == 'selection_round.run')).all()
    values = [{'round_id': entity_id, 'offered': int(changes['capacity']) - int(changes['usedBefore'])}
              for entity_id, changes in runs
              if entity_id is not None and changes and 'capacity' in changes and 'usedBefore' in changes]
    if values:
        bind.execute(selection_round.update().where(selection_round.c.id == sa.bindparam('round_id'))
                     .values(seats_offered=sa.bindparam('offered')), values)
