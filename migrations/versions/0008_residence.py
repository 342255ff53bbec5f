"""living in the region (SPEC §13): agency grants, residence events and breach cases

``agency_grant`` says what an agency may do beyond its check types (the seed
grants ``RESIDENCE`` to MVD_MIGRATION, so that an existing database gets it at
its next ``qonys seed``); ``residence_event`` holds the address-registration
authority's reports, one per (agency, external id); ``contract_breach`` the
cases a departure opens, at most one OPEN per contract (a partial unique index).
"""
from migrations.helpers import (
    CASCADE, NULL, create_table, date, drop_tables, enum, fk, index, partial_unique, stamp, string, timestamp,
)

revision = '0008_residence'
down_revision = '0006_audit_append_only'


def upgrade() -> None:
    create_table('agency_grant',
        fk('agency_id', ondelete=CASCADE),
        enum('kind', 'agency_grant_kind', ('RESIDENCE',)),
        unique=[('agency_id', 'kind')],
    )

    create_table('contract_breach',
        fk('contract_id', to='social_contract', index=True),
        enum('status', 'breach_status', ('OPEN', 'CONFIRMED', 'DISMISSED')),
        date('opened_on'),
        timestamp('opened_at'),
        stamp('resolved', NULL),
        string('note', 2000, NULL),
        checks={'resolved_when_closed': "(status = 'OPEN') = (resolved_at IS NULL)"},
        indexes=[
            index('ix_contract_breach_opened_id', 'opened_at', 'id'),
            partial_unique('uq_contract_breach_one_open', ['contract_id'], "status = 'OPEN'"),
        ],
    )

    create_table('residence_event',
        fk('agency_id'),
        string('external_id', 100),
        string('citizenship', 3),
        string('document_number', 40),
        enum('kind', 'residence_event_kind', ('REGISTERED', 'DEREGISTERED', 'MOVED')),
        fk('region_id'),
        date('occurred_on'),
        fk('contract_id', to='social_contract'),
        fk('breach_id', NULL, to='contract_breach', index=True),
        timestamp('recorded_at'),
        unique=[('agency_id', 'external_id')],
        indexes=[
            index('ix_residence_event_contract_kind_on', 'contract_id', 'kind', 'occurred_on'),
            index('ix_residence_event_recorded_id', 'recorded_at', 'id'),
        ],
    )


def downgrade() -> None:
    drop_tables('residence_event', 'contract_breach', 'agency_grant')
