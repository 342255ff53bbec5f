"""an index on the applicant's document (issue 18)

- ``ix_applicant_doc`` (citizenship, document_number): every submission looks for
  the same person's earlier record by document; without it PostgreSQL scanned
  every applicant without an owner (6.8 ms a submission at 30,000 applications,
  growing with the register).

An index only: the same on SQLite and PostgreSQL.
"""
from alembic import op

revision = '0017_applicant_doc_index'
down_revision = '0016_rendered_lines'


def upgrade() -> None:
    with op.batch_alter_table('applicant', schema=None) as batch_op:
        batch_op.create_index('ix_applicant_doc', ['citizenship', 'document_number'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('applicant', schema=None) as batch_op:
        batch_op.drop_index('ix_applicant_doc')
