"""one certificate per applicant, not per application (SPEC §8)

- ``language_test.certificate_number`` loses its UNIQUE constraint: the rule is
  "a language test certificate number may not be used for two applicants", so an
  applicant applying again (after a withdrawal or a refusal) may give the same
  certificate. ``services.applications.language_test`` checks it, under an
  advisory lock on the certificate on PostgreSQL (SQLite has one writer).
- ``ix_language_test_certificate_number``: the check's lookup.

Rows written before stay as they are (they were unique).
"""
from alembic import op

revision = '0018_certificate_per_applicant'
down_revision = '0017_applicant_doc_index'


def upgrade() -> None:
    with op.batch_alter_table('language_test', schema=None) as batch_op:
        batch_op.drop_constraint('uq_language_test_certificate_number', type_='unique')
        batch_op.create_index('ix_language_test_certificate_number', ['certificate_number'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('language_test', schema=None) as batch_op:
        batch_op.drop_index('ix_language_test_certificate_number')
        batch_op.create_unique_constraint('uq_language_test_certificate_number', ['certificate_number'])
