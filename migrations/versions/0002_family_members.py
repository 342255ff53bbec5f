"""family members: the people of the principal applicant's family as records (issue 13 item 14)
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
import models.types  # noqa: F401

revision = '0002a_family'
down_revision = '5a81a9b607bd'


def upgrade() -> None:
    op.create_table('family_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('sex', sa.Enum('MALE', 'FEMALE', name='sex', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('relation', sa.Enum('SPOUSE', 'CHILD', 'PARENT', 'SIBLING', 'OTHER', name='family_relation', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('document_number', sa.String(length=40), nullable=False),
    sa.Column('iin', sa.String(length=12), nullable=True),
    sa.CheckConstraint('iin IS NULL OR length(iin) = 12', name=op.f('ck_family_member_iin_len')),
    sa.CheckConstraint('position BETWEEN 1 AND 19', name=op.f('ck_family_member_position_range')),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_family_member_application_id_application'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_family_member')),
    sa.UniqueConstraint('application_id', 'position', name=op.f('uq_family_member_application_id_position'))
    )
    with op.batch_alter_table('family_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_family_member_iin'), ['iin'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('family_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_family_member_iin'))

    op.drop_table('family_member')
