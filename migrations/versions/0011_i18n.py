"""names in three languages: Kazakh and Russian names of occupations, agencies,
check types, support measures and termination reasons (SPEC §16, issue 17)

Regions already carry ``name_kk``/``name_ru``/``name_en``; occupations had
English and Russian. The new columns are nullable (an administrator may add a
row before its translations; the API falls back to the English name) and are
filled for the seeded codes.
"""
from alembic import op
import sqlalchemy as sa

from services import reference_names as names

revision = '0011_i18n'
down_revision = '0007_kandas_review'

TABLES = {  # table -> (its names by code, whether it gets name_ru)
    "agency": (names.AGENCIES, True),
    "check_type": (names.CHECK_TYPES, True),
    "support_measure": (names.SUPPORT_MEASURES, True),
    "termination_reason": (names.TERMINATION_REASONS, True),
}


def upgrade() -> None:
    # Nullable columns are added in place on both databases (no table copy: SQLite
    # would otherwise drop and rebuild tables other rows refer to).
    op.add_column("occupation", sa.Column("name_kk", sa.String(length=200), nullable=True))
    for table in TABLES:
        op.add_column(table, sa.Column("name_kk", sa.String(length=200), nullable=True))
        op.add_column(table, sa.Column("name_ru", sa.String(length=200), nullable=True))
    occupation = sa.table("occupation", sa.column("code", sa.String), sa.column("name_kk", sa.String))
    for code, kk in names.OCCUPATIONS_KK.items():
        op.execute(occupation.update().where(occupation.c.code == code).values(name_kk=kk))
    for table, (by_code, _) in TABLES.items():
        t = sa.table(table, sa.column("code", sa.String), sa.column("name_kk", sa.String),
                     sa.column("name_ru", sa.String))
        for code, (kk, ru) in by_code.items():
            op.execute(t.update().where(t.c.code == code).values(name_kk=kk, name_ru=ru))


def downgrade() -> None:
    # In place too (SQLite 3.35+ drops a plain column without rebuilding the table).
    for table in reversed(list(TABLES)):
        op.drop_column(table, "name_ru")
        op.drop_column(table, "name_kk")
    op.drop_column("occupation", "name_kk")
