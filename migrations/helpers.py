"""What the revisions declare again and again, said once: a column by its kind, and a
new table with its key, checks, foreign keys, unique keys and indexes named by the
metadata's convention (``models.base``: ``pk_<table>``, ``ck_<table>_<name>``,
``fk_<table>_<column>_<referred table>``, ``uq_<table>_<columns>``, ``ix_<table>_<column>``).

Each helper builds the very objects the revisions spelled out before (same types,
same names, same order), so the DDL is unchanged on SQLite and PostgreSQL. The
revisions import it as ``migrations.helpers``: the alembic CLI puts the project
root on the path (``prepend_sys_path`` in alembic.ini), the code (``services.migrate``)
runs with the package installed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import models.types

# ``integer('points', NULL)``: the column may be empty (NOT NULL unless said).
NULL = True
# ``fk('application_id', ondelete=CASCADE)``: the rows go with the row they refer to (RESTRICT unless said).
CASCADE, SET_NULL = 'CASCADE', 'SET NULL'


class Index(NamedTuple):
    """An index of its own name; ``where``: a unique index over the rows it holds."""

    name: str
    columns: tuple[str, ...]
    where: str | None = None


def index(name: str, *columns: str) -> Index:
    return Index(name, columns)


def partial_unique(name: str, columns: Sequence[str], where: str) -> Index:
    """A unique index over the rows ``where`` holds, on both databases."""
    return Index(name, tuple(columns), where)


def column(name: str, type_: Any, nullable: bool = False, unique: bool = False, index: bool = False,
           **kw: Any) -> sa.Column[Any]:
    """A column, NOT NULL unless ``nullable``; ``create_table`` adds its unique key (``unique``)
    or its index (``index``: ``ix_<table>_<column>``)."""
    made = sa.Column(name, type_, nullable=nullable, **kw)
    made.info.update(unique=unique, index=index)
    return made


def integer(name: str, nullable: bool = False, **kw: Any) -> sa.Column[Any]:
    return column(name, sa.Integer(), nullable, **kw)


def boolean(name: str, nullable: bool = False) -> sa.Column[Any]:
    return column(name, sa.Boolean(), nullable)


def date(name: str, nullable: bool = False, **kw: Any) -> sa.Column[Any]:
    return column(name, sa.Date(), nullable, **kw)


def string(name: str, length: int, nullable: bool = False, **kw: Any) -> sa.Column[Any]:
    return column(name, sa.String(length=length), nullable, **kw)


def timestamp(name: str, nullable: bool = False, **kw: Any) -> sa.Column[Any]:
    return column(name, models.types.UTCDateTime(timezone=True), nullable, **kw)


def money(name: str, nullable: bool = False) -> sa.Column[Any]:
    return column(name, models.types.Money(precision=14, scale=2), nullable)


def json(name: str, nullable: bool = False) -> sa.Column[Any]:
    return column(name, sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable)


def enum(name: str, type_name: str, values: Sequence[str], nullable: bool = False, **kw: Any) -> sa.Column[Any]:
    """A string enum stored as VARCHAR with its CHECK (``ck_<table>_<type_name>``)."""
    kind = sa.Enum(*values, name=type_name, native_enum=False, create_constraint=True)
    return column(name, kind, nullable, **kw)


def number() -> sa.Column[Any]:
    """A record's own number, unique (``APP-…``, ``SC-…``, ``KS-…``, ``RV-…``, ``WP-…``)."""
    return string('number', 20, unique=True)


def issued() -> list[sa.Column[Any]]:
    """What is issued once per application under its own number (a social contract, a kandas status)."""
    return [number(), fk('application_id', unique=True)]


def code(length: int = 40) -> sa.Column[Any]:
    """A reference row's code, unique."""
    return string('code', length, unique=True)


def counter(name: str) -> sa.Column[Any]:
    """A count the system keeps (seats or places used), 0 to begin with."""
    return integer(name, server_default='0')


def fk(name: str, nullable: bool = False, *, to: str | None = None, ondelete: str = 'RESTRICT',
       **kw: Any) -> sa.Column[Any]:
    """An integer column that refers to the id of ``to`` (by default the table its name
    says: ``quota_id`` refers to ``quota``); ``create_table`` adds its foreign key."""
    made = integer(name, nullable, **kw)
    made.info['refers_to'] = (to or name.removesuffix('_id'), ondelete)
    return made


def stamp(prefix: str, nullable: bool = False) -> list[sa.Column[Any]]:
    """``<prefix>_at`` and ``<prefix>_by``: when and who (recorded, decided, created, …)."""
    return [timestamp(f'{prefix}_at', nullable), string(f'{prefix}_by', 200, nullable)]


def created_updated() -> list[sa.Column[Any]]:
    return [timestamp('created_at'), timestamp('updated_at')]


def create_table(table: str, *columns: sa.Column[Any] | Iterable[sa.Column[Any]],
                 checks: Mapping[str, str] | None = None,
                 unique: Sequence[Sequence[str]] = (), indexes: Sequence[Index] = (),
                 key: str = 'id') -> None:
    """``op.create_table`` with the key column first, then ``columns`` (a column or a
    list of them), the CHECKs, the foreign keys of the ``fk`` columns (by column name),
    the primary key and the unique keys (the ``unique`` columns' and those of ``unique``,
    by name) in that order; then the indexes (the ``index`` columns' and ``indexes``), by name.
    A ``key`` other than ``id`` is one of ``columns``."""
    flat: list[Any] = [integer('id')] if key == 'id' else []
    for item in columns:
        flat.extend([item] if isinstance(item, sa.Column) else item)
    flat += [sa.CheckConstraint(sql, name=op.f(f'ck_{table}_{name}')) for name, sql in (checks or {}).items()]
    cols = [c for c in flat if isinstance(c, sa.Column)]
    for col in sorted((c for c in cols if 'refers_to' in c.info), key=lambda c: c.name):
        target, ondelete = col.info['refers_to']
        flat.append(sa.ForeignKeyConstraint([col.name], [f'{target}.id'], name=op.f(f'fk_{table}_{col.name}_{target}'),
                                            ondelete=ondelete))
    flat.append(sa.PrimaryKeyConstraint(key, name=op.f(f'pk_{table}')))
    keys = [[c.name] for c in cols if c.info.get('unique')] + [list(u) for u in unique]
    for names in sorted(keys, key='_'.join):
        flat.append(sa.UniqueConstraint(*names, name=op.f(f'uq_{table}_{"_".join(names)}')))
    op.create_table(table, *flat)
    own = [Index(op.f(f'ix_{table}_{c.name}'), (c.name,)) for c in cols if c.info.get('index')]
    create_indexes(table, *sorted([*own, *indexes], key=lambda i: i.name))


def create_indexes(table: str, *indexes: Index) -> None:
    """Each index in turn (a ``partial_unique`` one with its WHERE on both databases)."""
    for spec in indexes:
        if spec.where is None:
            op.create_index(spec.name, table, list(spec.columns), unique=False)
        else:
            op.create_index(spec.name, table, list(spec.columns), unique=True, sqlite_where=sa.text(spec.where),
                            postgresql_where=sa.text(spec.where))


def drop_tables(*tables: str) -> None:
    """Drop each table in turn (children first); a table's indexes go with it."""
    for table in tables:
        op.drop_table(table)
