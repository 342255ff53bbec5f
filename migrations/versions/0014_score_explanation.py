"""a score in two parts (issue 17): ``score.explanation``

A score's lines keep their code, value and English reason in ``score.result``;
their message ids and parameters (``reasonText``) and legal sources (``basis``,
and the pass mark's ``passMarkBasis``) move to the new ``score.explanation``,
keyed by the line's code (``services.scoring.results.split``). The officers'
lists read ``result`` alone, which stays small enough to be kept in the row on
PostgreSQL. Scores stored before are split here, in batches; the downgrade puts
them together again.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

from models.types import JSONType
from services.scoring.results import split, stored_score

revision = '0014_score_explanation'
down_revision = '0010_explain'

CHUNK = 1000

score = sa.table('score', sa.column('id', sa.Integer), sa.column('result', JSONType),
                 sa.column('explanation', JSONType))


def _rewrite(parts: Callable[[dict[str, Any], dict[str, Any] | None], tuple[dict[str, Any], Any]]) -> None:
    """Each stored score's (result, explanation) replaced by ``parts`` of them, by id in batches."""
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(sa.select(score.c.id, score.c.result, score.c.explanation)
                            .where(score.c.id > last).order_by(score.c.id).limit(CHUNK)).all()
        if not rows:
            return
        changed = []
        for row in rows:
            result, explanation = parts(row.result, row.explanation)
            if (result, explanation) != (row.result, row.explanation):
                changed.append({'b_id': row.id, 'b_result': result, 'b_explanation': explanation})
        if changed:
            bind.execute(score.update().where(score.c.id == sa.bindparam('b_id'))
                         .values(result=sa.bindparam('b_result'), explanation=sa.bindparam('b_explanation')),
                         changed)
        last = rows[-1].id


def upgrade() -> None:
    op.add_column('score', sa.Column('explanation', JSONType, nullable=True))
    _rewrite(lambda result, explanation: split(stored_score(result, explanation)))


def downgrade() -> None:
    _rewrite(lambda result, explanation: (stored_score(result, explanation), None))
    op.drop_column('score', 'explanation')
