"""scoring rules: a score can be stale (issue 13 item 6)

A fact of a scored, undecided application changed since its score was
computed: the score is kept (readable, explained) and marked stale, and the
application is back in SUBMITTED until it is scored again.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
import models.types  # noqa: F401

revision = '0002b_scoring'
down_revision = '0002d_reads'


def upgrade() -> None:
    with op.batch_alter_table('score', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stale', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('score', schema=None) as batch_op:
        batch_op.drop_column('stale')
