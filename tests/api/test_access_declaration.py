"""The access declaration (``services.access``) covers the whole schema, and no
access decision lives in ``api/`` outside the one adapter that reads it. Runs on
both databases (no database needed); the engines' agreement is proven in
``test_access_differential.py``."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType

from api.graphql.schema import build_schema
from services import access

SCHEMA = build_schema()._schema
API = Path(__file__).resolve().parents[2] / "api"


def object_types() -> list[GraphQLObjectType]:
    return [t for name, t in SCHEMA.type_map.items()
            if isinstance(t, GraphQLObjectType) and not name.startswith("__")]


def test_every_object_type_is_declared() -> None:
    missing = [t.name for t in object_types() if not access.is_structural(t.name) and t.name not in access.FIELDS]
    assert missing == [], f"declare who reads these types in services/access.py FIELDS: {missing}"


def test_every_root_and_node_type_is_declared() -> None:
    assert SCHEMA.query_type is not None
    assert sorted(set(SCHEMA.query_type.fields) - set(access.ROOTS)) == []
    nodes = {t.name for t in SCHEMA.get_possible_types(SCHEMA.get_type("Node"))}
    assert sorted(nodes - set(access.NODE_READERS)) == []
    assert sorted(set(access.FIELDS) - {t.name for t in object_types()}) == [], "declared types that do not exist"


def test_only_nullable_fields_and_lists_are_hidden() -> None:
    for t in object_types():
        if access.is_structural(t.name):
            continue
        for name, field in t.fields.items():
            if access.hidden_from(t.name, name):
                type_ = field.type
                nullable = not isinstance(type_, GraphQLNonNull)
                is_list = isinstance(type_.of_type if isinstance(type_, GraphQLNonNull) else type_, GraphQLList)
                assert nullable or is_list, f"{t.name}.{name} is non-null: it cannot be hidden"


def test_spec_11_agency_rules_are_declared() -> None:
    agency = access.Caller.AGENCY
    shown = {"id", "number", "status", "route", "targetRegion", "submittedAt", "dueDate", "applicant"}
    for name in SCHEMA.get_type("Application").fields:
        assert (agency in access.field_readers("Application", name)) == (name in shown), name
    for name in SCHEMA.get_type("Applicant").fields:
        assert (agency in access.field_readers("Applicant", name)) == (name not in ("iin", "applications")), name
    for type_name in ("Score", "Questionnaire", "LanguageTest", "Interview", "SocialContract"):
        assert agency not in access.FIELDS[type_name].reach


def test_an_administrator_reads_what_the_compiled_path_reads_as_an_officer() -> None:
    """The engines' differential test asks as an officer for all staff: an administrator
    is the same caller class, with the same row filters on every table the compiled read
    path reads. Webhook endpoints differ (administrators manage every agency's), and no
    compiled root reaches them."""
    from api.graphql.compiler.roots import ROOTS
    from services.viewer import Viewer

    admin, officer = Viewer(role="ADMIN", subject="a1"), Viewer(role="OFFICER", subject="o1")
    assert access.caller_of(admin) is access.caller_of(officer) is access.Caller.STAFF
    assert sorted(ROOTS) == ["application", "applications", "checkResults"]
    differ = [model.__name__ for model in access.ROW_FILTERS
              if str(access.row_filter(model, admin)) != str(access.row_filter(model, officer))]
    assert differ == ["WebhookEndpoint"]
    assert "WebhookEndpoint" not in str(readmap_reachable("Application")) + str(readmap_reachable("Check"))


def readmap_reachable(type_name: str, seen: set[str] | None = None) -> set[str]:
    """The read map's types reachable from ``type_name`` (what the compiled path can read)."""
    from api.graphql.readmap import TYPES, Child, Ref

    seen = set() if seen is None else seen
    if type_name in seen or type_name not in TYPES:
        return seen
    seen.add(type_name)
    for spec in TYPES[type_name].fields.values():
        if isinstance(spec, (Ref, Child)):
            readmap_reachable(spec.target, seen)
    return seen


# A field or row decision written as an ``if`` on the viewer's role in the API layer.
DECISION = re.compile(r"\.(is_agency|is_staff|is_applicant|is_admin|is_anonymous|read_only)\b|viewer\.role\b")


def test_no_access_decision_in_api_outside_the_adapter() -> None:
    found = []
    for path in API.rglob("*.py"):
        if path.name == "visibility.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if DECISION.search(line):
                found.append(f"{path.relative_to(API.parent)}:{number}: {line.strip()}")
    assert found == []


@pytest.mark.parametrize("body", ['"just a string"', "12", "3.5", "[]", '[{"query": "{ regions { code } }"}]',
                                  "null", "true", "false", "{", ""])
async def test_a_body_that_is_not_a_json_object_is_a_400_graphql_error(client: httpx.AsyncClient, body: str) -> None:
    for accept in ("application/json", "application/graphql-response+json"):
        response = await client.post("/graphql", content=body,
                                     headers={"content-type": "application/json", "accept": accept})
        assert response.status_code == 400, (body, response.text)
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_REQUEST" and error["message"]
