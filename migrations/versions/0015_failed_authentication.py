"""the failed-authentication limiter's log, shared by every process (issue 18)

- ``failed_authentication``: one row per refused credential (scope ``api`` or
  ``admin``, the client's address, when), counted over the limiter's window by
  whichever process answers the next request; old rows are deleted as new ones
  come.

A new table only: the same on SQLite and PostgreSQL.
"""
from alembic import op
import sqlalchemy as sa

import models.types

revision = '0015_failed_authentication'
down_revision = '0014_score_explanation'


def upgrade() -> None:
    op.create_table('failed_authentication',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('client', sa.String(length=64), nullable=False),
    sa.Column('at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_failed_authentication'))
    )
    with op.batch_alter_table('failed_authentication', schema=None) as batch_op:
        batch_op.create_index('ix_failed_authentication_client', ['scope', 'client', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('failed_authentication', schema=None) as batch_op:
        batch_op.drop_index('ix_failed_authentication_client')
    op.drop_table('failed_authentication')
