"""living in the region (SPEC §13): agency grants, residence events and breach cases

``agency_grant`` says what an agency may do beyond its check types (the seed
grants ``RESIDENCE`` to MVD_MIGRATION, so that an existing database gets it at
its next ``qonys seed``); ``residence_event`` holds the address-registration
authority's reports, one per (agency, external id); ``contract_breach`` the
cases a departure opens, at most one OPEN per contract (a partial unique index).
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
import models.types  # noqa: F401

revision = '0008_residence'
down_revision = '0006_audit_append_only'


def upgrade() -> None:
    op.create_table('agency_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('RESIDENCE', name='agency_grant_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_agency_grant_agency_id_agency'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_grant')),
    sa.UniqueConstraint('agency_id', 'kind', name=op.f('uq_agency_grant_agency_id_kind'))
    )
    op.create_table('contract_breach',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('OPEN', 'CONFIRMED', 'DISMISSED', name='breach_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('opened_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=200), nullable=True),
    sa.Column('note', sa.String(length=2000), nullable=True),
    sa.CheckConstraint("(status = 'OPEN') = (resolved_at IS NULL)", name=op.f('ck_contract_breach_resolved_when_closed')),
    sa.ForeignKeyConstraint(['contract_id'], ['social_contract.id'], name=op.f('fk_contract_breach_contract_id_social_contract'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_breach'))
    )
    with op.batch_alter_table('contract_breach', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_breach_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index('ix_contract_breach_opened_id', ['opened_at', 'id'], unique=False)
        batch_op.create_index('uq_contract_breach_one_open', ['contract_id'], unique=True, sqlite_where=sa.text("status = 'OPEN'"), postgresql_where=sa.text("status = 'OPEN'"))

    op.create_table('residence_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=100), nullable=False),
    sa.Column('citizenship', sa.String(length=3), nullable=False),
    sa.Column('document_number', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.Enum('REGISTERED', 'DEREGISTERED', 'MOVED', name='residence_event_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('breach_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_residence_event_agency_id_agency'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['breach_id'], ['contract_breach.id'], name=op.f('fk_residence_event_breach_id_contract_breach'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['contract_id'], ['social_contract.id'], name=op.f('fk_residence_event_contract_id_social_contract'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_residence_event_region_id_region'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_residence_event')),
    sa.UniqueConstraint('agency_id', 'external_id', name=op.f('uq_residence_event_agency_id_external_id'))
    )
    with op.batch_alter_table('residence_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residence_event_breach_id'), ['breach_id'], unique=False)
        batch_op.create_index('ix_residence_event_contract_kind_on', ['contract_id', 'kind', 'occurred_on'], unique=False)
        batch_op.create_index('ix_residence_event_recorded_id', ['recorded_at', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('residence_event', schema=None) as batch_op:
        batch_op.drop_index('ix_residence_event_recorded_id')
        batch_op.drop_index('ix_residence_event_contract_kind_on')
        batch_op.drop_index(batch_op.f('ix_residence_event_breach_id'))

    op.drop_table('residence_event')
    with op.batch_alter_table('contract_breach', schema=None) as batch_op:
        batch_op.drop_index('uq_contract_breach_one_open', sqlite_where=sa.text("status = 'OPEN'"), postgresql_where=sa.text("status = 'OPEN'"))
        batch_op.drop_index('ix_contract_breach_opened_id')
        batch_op.drop_index(batch_op.f('ix_contract_breach_contract_id'))

    op.drop_table('contract_breach')
    op.drop_table('agency_grant')
