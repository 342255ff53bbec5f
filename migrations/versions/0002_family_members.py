"""family members: the people of the principal applicant's family as records (issue 13 item 14)
"""
from alembic import op
from migrations.helpers import CASCADE, NULL, create_table, date, enum, fk, integer, string

revision = '0002a_family'
down_revision = '5a81a9b607bd'


def upgrade() -> None:
    create_table('family_member',
        fk('application_id', ondelete=CASCADE),
        integer('position'),
        string('full_name', 200),
        date('birth_date'),
        enum('sex', 'sex', ('MALE', 'FEMALE')),
        enum('relation', 'family_relation', ('SPOUSE', 'CHILD', 'PARENT', 'SIBLING', 'OTHER')),
        string('document_number', 40),
        string('iin', 12, NULL, index=True),
        checks={
            'iin_len': 'iin IS NULL OR length(iin) = 12',
            'position_range': 'position BETWEEN 1 AND 19',
        },
        unique=[('application_id', 'position')],
    )


def downgrade() -> None:
    op.drop_table('family_member')  # its indexes go with it
