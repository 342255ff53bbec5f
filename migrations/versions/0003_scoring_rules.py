"""scoring rules: a score can be stale (issue 13 item 6)

A fact of a scored, undecided application changed since its score was
computed: the score is kept (readable, explained) and marked stale, and the
application is back in SUBMITTED until it is scored again.

Revision ID: 0002b_scoring
Revises: 5a81a9b607bd
Create Date: 2026-12-04 12:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
import models.types  # noqa: F401

# revision identifiers, used by Alembic.
revision: str = '0002b_scoring'
down_revision: Union[str, Sequence[str], None] = '0002d_reads'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('score', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stale', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('score', schema=None) as batch_op:
        batch_op.drop_column('stale')
