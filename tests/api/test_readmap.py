"""The read map that both engines use matches the schema and the tables."""

from __future__ import annotations

import pytest

from api.graphql.readmap import TYPES, Child, Column, Lookup, Ref
from api.graphql.schema import build_schema

pytestmark = pytest.mark.engine_independent  # no database: once per `make test` (tests/conftest.py)


def test_every_mapped_field_exists_in_the_schema_and_the_table() -> None:
    schema = build_schema()._schema
    for type_name, mapping in TYPES.items():
        gql_type = schema.type_map[type_name]
        table = mapping.model.__table__
        for field_name, spec in mapping.fields.items():
            assert field_name in gql_type.fields, f"{type_name}.{field_name}"
            if isinstance(spec, Column):
                assert spec.column in table.c, f"{type_name}.{field_name} -> {spec.column}"
            elif isinstance(spec, Ref):
                assert spec.fk in table.c and spec.target in TYPES or spec.target == "Application"
            elif isinstance(spec, Child):
                target = TYPES.get(spec.target)
                if target is not None:
                    assert spec.fk in target.model.__table__.c
            elif isinstance(spec, Lookup):
                assert spec.fk in table.c and spec.column in spec.model.__table__.c
        if mapping.node:
            assert "id" in gql_type.fields


def test_every_column_field_of_a_mapped_type_is_mapped() -> None:
    """A new scalar field on a mapped type must be added to the map (or the compiler would fall back silently)."""
    schema = build_schema()._schema
    for type_name, mapping in TYPES.items():
        if type_name == "Score":
            continue
        gql_type = schema.type_map[type_name]
        unmapped = set(gql_type.fields) - set(mapping.fields) - {"id"}
        # Application.decision: who reads decidedBy depends on the caller (staff only), which the map
        # cannot say yet; queries that ask for it run normally until the field-visibility
        # declaration (services/access.py) covers it.
        allowed = {"Applicant": {"applications"}, "Application": {"decision", "permit"}}.get(type_name, set())
        assert unmapped <= allowed, f"{type_name}: {unmapped - allowed}"
