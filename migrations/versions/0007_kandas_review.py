"""kandas status, decision reviews, holidays (issue 15: SPEC §12 and §14)

- ``kandas_status``: one per approved KANDAS application (the principal
  applicant's status). The applications of that route already ``APPROVED``
  are granted theirs here, as a selection round grants it now: ``granted_on``
  the decision's date (Almaty), ``valid_until`` a year later, numbered
  ``KS-YYYY-NNNNNN`` by the year granted, in order of that date and id;
- ``decision_review``: reviews of a FAILED or REJECTED decision;
- ``holiday``: the public holidays a review's due date skips (the fixed-date
  ones are seeded by ``qonys seed``, as other reference data).
"""
import calendar
import datetime as dt
from alembic import op
import sqlalchemy as sa
from models.base import ALMATY
from models.types import UTCDateTime
from migrations.helpers import (
    NULL, boolean, issued, number, create_table, created_updated, date, drop_tables, enum, fk, index, integer,
    partial_unique, stamp, string,
)

revision = '0007_kandas_review'
down_revision = '0013_webhooks'


def upgrade() -> None:
    create_table('holiday',
        integer('month', NULL),
        integer('day', NULL),
        date('on_date', NULL, unique=True),
        string('name_kk', 200),
        string('name_ru', 200),
        string('name_en', 200),
        checks={
            'fixed_or_dated': '(on_date IS NULL AND month BETWEEN 1 AND 12 AND day BETWEEN 1 AND 31) OR (on_date IS NOT NULL AND month IS NULL AND day IS NULL)',
        },
        unique=[('month', 'day')],
    )

    create_table('decision_review',
        number(),
        fk('application_id', index=True),
        enum('status', 'review_status', ('OPEN', 'UPHELD', 'OVERTURNED')),
        string('grounds', 4000),
        stamp('requested'),
        date('due_date'),
        enum('reviewed_status', 'reviewed_status', ('SUBMITTED', 'PASSED', 'FAILED', 'APPROVED', 'REJECTED', 'WITHDRAWN')),
        date('decision_on'),
        string('decision_by', 200, NULL),
        string('score_model_version', 40, NULL),
        integer('score_total', NULL),
        boolean('score_passed', NULL),
        enum('outcome', 'review_outcome', ('UPHELD', 'OVERTURNED'), NULL),
        string('reason', 1000, NULL),
        stamp('decided', NULL),
        checks={
            'open_has_no_outcome': "(status = 'OPEN') = (outcome IS NULL)",
            'reviewed_status_kind': "reviewed_status IN ('FAILED', 'REJECTED')",
            'grounds_length': 'length(grounds) BETWEEN 10 AND 4000',
        },
        indexes=[
            index('ix_decision_review_due', 'due_date', 'id'),
            index('ix_decision_review_requested', 'requested_at', 'id'),
            partial_unique('uq_decision_review_open', ['application_id'], "status = 'OPEN'"),
        ],
    )

    create_table('kandas_status',
        issued(),
        fk('applicant_id', index=True),
        date('granted_on'),
        date('valid_until'),
        integer('extended_months', NULL),
        enum('status', 'kandas_status_state', ('ACTIVE', 'EXPIRED', 'ENDED')),
        enum('end_reason', 'kandas_end_reason', ('CITIZENSHIP_GRANTED', 'REVOKED', 'DEPARTED'), NULL),
        date('ended_on', NULL),
        created_updated(),
        checks={
            'ended_has_reason': "(status = 'ENDED') = (end_reason IS NOT NULL AND ended_on IS NOT NULL)",
            'status_stored': "status <> 'EXPIRED'",
            'extension_range': 'extended_months IS NULL OR extended_months BETWEEN 1 AND 6',
            'dates_order': 'valid_until > granted_on',
        },
        indexes=[index('ix_kandas_status_valid_until', 'valid_until', 'id')],
    )

    _grant_to_approved()


# Lightweight tables for the data step.
_application = sa.table(
    'application', sa.column('id', sa.Integer), sa.column('applicant_id', sa.Integer), sa.column('route', sa.String),
    sa.column('status', sa.String), sa.column('decided_at', UTCDateTime()), sa.column('updated_at', UTCDateTime()))
_decision = sa.table(
    'application_decision', sa.column('id', sa.Integer), sa.column('application_id', sa.Integer),
    sa.column('outcome', sa.String), sa.column('decided_at', UTCDateTime()))
_status = sa.table(
    'kandas_status', sa.column('number', sa.String), sa.column('application_id', sa.Integer),
    sa.column('applicant_id', sa.Integer), sa.column('granted_on', sa.Date), sa.column('valid_until', sa.Date),
    sa.column('status', sa.String), sa.column('created_at', UTCDateTime()), sa.column('updated_at', UTCDateTime()))
_sequence = sa.table('number_sequence', sa.column('name', sa.String), sa.column('value', sa.Integer))


def _one_year_later(d: dt.date) -> dt.date:
    """``services.kandas.valid_until_of``: a year later, Feb 29 becoming Feb 28."""
    year = d.year + 1
    if d.month == 2 and d.day == 29 and not calendar.isleap(year):
        return dt.date(year, 2, 28)
    return d.replace(year=year)


def _grant_to_approved() -> None:
    """A kandas status for each KANDAS application already approved, dated by its decision."""
    bind = op.get_bind()
    approved_at = (sa.select(sa.func.max(_decision.c.decided_at))
                   .where(_decision.c.application_id == _application.c.id, _decision.c.outcome == 'APPROVED')
                   .scalar_subquery())
    rows = bind.execute(
        sa.select(_application.c.id, _application.c.applicant_id, approved_at, _application.c.decided_at,
                  _application.c.updated_at)
        .where(_application.c.route == 'KANDAS', _application.c.status == 'APPROVED')).all()
    if not rows:
        return
    now = dt.datetime.now(dt.timezone.utc)
    grants = sorted(((next(t for t in (decided, app_decided, updated) if t is not None).astimezone(ALMATY).date(),
                      app_id, applicant_id) for app_id, applicant_id, decided, app_decided, updated in rows))
    counters: dict[int, int] = {}
    values = []
    for granted_on, app_id, applicant_id in grants:
        year = granted_on.year
        if year not in counters:
            counters[year] = bind.execute(sa.select(_sequence.c.value).where(
                _sequence.c.name == f'KS-{year}')).scalar_one_or_none() or 0
        counters[year] += 1
        values.append({'number': f'KS-{year}-{counters[year]:06d}', 'application_id': app_id,
                       'applicant_id': applicant_id, 'granted_on': granted_on,
                       'valid_until': _one_year_later(granted_on), 'status': 'ACTIVE',
                       'created_at': now, 'updated_at': now})
    bind.execute(sa.insert(_status), values)
    for year, value in counters.items():
        name = f'KS-{year}'
        if bind.execute(sa.update(_sequence).where(_sequence.c.name == name).values(value=value)).rowcount == 0:
            bind.execute(sa.insert(_sequence).values(name=name, value=value))


def downgrade() -> None:
    drop_tables('kandas_status', 'decision_review', 'holiday')
    op.execute("DELETE FROM number_sequence WHERE name LIKE 'KS-%' OR name LIKE 'RV-%'")
