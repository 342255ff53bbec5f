"""employers, work permits and violations (SPEC §15, issue 16)

- ``employer``, ``work_permit``, ``violation``: the registry, the permits and the
  violations; ``suspension_rule`` (reference data: 2 violations within 12 months
  suspend an employer for 12 months) and ``agency_permission`` (the migration
  service's key may record violations), both filled in by ``qonys seed``;
- ``application.permit_id``: the approved permit a LABOUR application names,
  added in place on SQLite (the application table is never rebuilt there on the
  way up).
"""
from alembic import op
import sqlalchemy as sa
from migrations.helpers import (
    CASCADE, NULL, code, counter, number, create_table, created_updated, date, drop_tables, enum, fk, index,
    integer, stamp, string, timestamp,
)


# The column's foreign key on SQLite, as ALTER TABLE … ADD COLUMN stores it in the table's definition.
_SQLITE_PERMIT_FK = ' CONSTRAINT fk_application_permit_id_work_permit REFERENCES work_permit (id)'


def _sqlite() -> bool:
    return op.get_bind().dialect.name == 'sqlite'

revision = '0009_labour'
down_revision = '0011_i18n'


def upgrade() -> None:
    create_table('suspension_rule',
        code(),
        integer('violations'),
        integer('window_months'),
        integer('suspension_months'),
        checks={
            'suspension_range': 'suspension_months BETWEEN 1 AND 120',
            'violations_positive': 'violations >= 1',
            'window_range': 'window_months BETWEEN 1 AND 120',
        },
    )

    create_table('agency_permission',
        fk('agency_id', ondelete=CASCADE),
        string('permission', 40),
        unique=[('agency_id', 'permission')],
    )

    create_table('employer',
        string('bin', 12, unique=True),
        string('name', 300),
        fk('region_id', index=True),
        integer('local_cat1'),
        integer('local_cat2'),
        integer('local_cat3'),
        integer('local_cat4'),
        date('suspended_until', NULL),
        created_updated(),
        checks={'staff_nonneg': 'local_cat1 >= 0 AND local_cat2 >= 0 AND local_cat3 >= 0 AND local_cat4 >= 0'},
        indexes=[index('ix_employer_created_id', 'created_at', 'id')],
    )

    create_table('work_permit',
        number(),
        fk('employer_id', index=True),
        enum('category', 'permit_category', ('CAT1', 'CAT2', 'CAT3', 'CAT4', 'SEASONAL', 'ICT')),
        fk('occupation_id'),
        fk('region_id', index=True),
        integer('workers'),
        integer('valid_months'),
        enum('status', 'permit_status', ('REQUESTED', 'APPROVED', 'REJECTED')),
        timestamp('requested_at'),
        stamp('decided', NULL),
        string('decision_reason', 1000, NULL),
        date('valid_from', NULL),
        date('valid_until', NULL),
        fk('quota_id', NULL, index=True),
        counter('places_used'),
        timestamp('updated_at'),
        checks={
            'places_within_workers': 'places_used >= 0 AND places_used <= workers',
            'valid_months_range': 'valid_months BETWEEN 1 AND 12',
            'workers_positive': 'workers >= 1',
        },
        indexes=[index('ix_work_permit_requested_id', 'requested_at', 'id')],
    )

    create_table('violation',
        string('external_id', 100, unique=True),
        fk('employer_id', NULL, index=True),
        fk('application_id', NULL),
        fk('applicant_id', NULL, index=True),
        enum('kind', 'violation_kind', ('ILLEGAL_EMPLOYMENT', 'PERMIT_BREACH', 'OVERSTAY', 'FALSE_DOCUMENTS', 'OTHER')),
        date('occurred_on'),
        integer('fine_mrp'),
        stamp('recorded'),
        fk('agency_id', NULL),
        checks={
            'one_subject': '(employer_id IS NULL) <> (application_id IS NULL)',
            'fine_nonneg': 'fine_mrp >= 0',
        },
        indexes=[index('ix_violation_recorded_id', 'recorded_at', 'id')],
    )

    if _sqlite():
        # In place: the application table is never rebuilt on SQLite (rows reference it).
        op.execute(f'ALTER TABLE application ADD COLUMN permit_id INTEGER{_SQLITE_PERMIT_FK}')
    else:
        op.add_column('application', sa.Column('permit_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_application_permit_id_work_permit'), 'application', 'work_permit',
                              ['permit_id'], ['id'])
    op.create_index(op.f('ix_application_permit_id'), 'application', ['permit_id'], unique=False)



def downgrade() -> None:
    op.drop_index(op.f('ix_application_permit_id'), table_name='application')
    if _sqlite():
        # SQLite drops no column that a foreign key is declared on, and the application
        # table is never rebuilt (other rows reference it): the column's clause, added
        # on the way up, is taken out of the stored definition (its rows' format does
        # not change), the schema is reloaded, and the column dropped in place.
        bind = op.get_bind()
        version = bind.exec_driver_sql('PRAGMA schema_version').scalar_one()
        bind.exec_driver_sql('PRAGMA writable_schema = ON')
        bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = replace(sql, ?, '') WHERE type = 'table' AND name = 'application'",
            (_SQLITE_PERMIT_FK,))
        bind.exec_driver_sql('PRAGMA writable_schema = OFF')
        bind.exec_driver_sql(f'PRAGMA schema_version = {int(version) + 1}')
        op.drop_column('application', 'permit_id')
    else:
        op.drop_constraint(op.f('fk_application_permit_id_work_permit'), 'application', type_='foreignkey')
        op.drop_column('application', 'permit_id')

    drop_tables('violation', 'work_permit', 'employer', 'agency_permission', 'suspension_rule')
