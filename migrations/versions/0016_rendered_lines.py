"""a score's lines as the API prints them (issue 18): ``score.rendered_gates``, ``score.rendered_breakdown``

The compiled read path printed each stored gate and criterion element by element
on every read (``jsonb_array_elements``, a quarter of PostgreSQL's time on a page
of the officers' list). A score now keeps its gates and breakdown as the API
prints them in English (``services.scoring.results.rendered_lines``), written
with ``result``; scores stored before are rendered here, in batches, then the
columns become NOT NULL.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from models.types import JSONType
from services.scoring.results import rendered_lines

revision = '0016_rendered_lines'
down_revision = '0015_failed_authentication'

CHUNK = 1000

score = sa.table('score', sa.column('id', sa.Integer), sa.column('result', JSONType),
                 sa.column('rendered_gates', sa.Text), sa.column('rendered_breakdown', sa.Text))


def upgrade() -> None:
    with op.batch_alter_table('score') as batch_op:
        batch_op.add_column(sa.Column('rendered_gates', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('rendered_breakdown', sa.Text(), nullable=True))
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(sa.select(score.c.id, score.c.result).where(score.c.id > last)
                            .order_by(score.c.id).limit(CHUNK)).all()
        if not rows:
            break
        bind.execute(score.update().where(score.c.id == sa.bindparam('b_id'))
                     .values(rendered_gates=sa.bindparam('b_gates'), rendered_breakdown=sa.bindparam('b_breakdown')),
                     [{'b_id': row.id, **{f'b_{key.removeprefix("rendered_")}': text
                                          for key, text in rendered_lines(row.result).items()}} for row in rows])
        last = rows[-1].id
    with op.batch_alter_table('score') as batch_op:
        batch_op.alter_column('rendered_gates', existing_type=sa.Text(), nullable=False)
        batch_op.alter_column('rendered_breakdown', existing_type=sa.Text(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('score') as batch_op:
        batch_op.drop_column('rendered_breakdown')
        batch_op.drop_column('rendered_gates')
