"""A filter reads the fields it tests (``services.access.FILTERS``): a caller who
does not read one of them may not give it, or the rows it gets back would tell the
hidden value. SPEC §11 and §13: an agency reads the residence events it reported,
not the contract they matched nor the breach case they opened; a violation's
employer and application are staff's.

Generated from the schema and the declaration: every field of every root's
``filter``, given by every caller class that may ask the root, is refused with
FORBIDDEN on ``filter.<field>`` exactly when the caller does not read a field it
tests, and otherwise answers without that refusal."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLNonNull, GraphQLScalarType

from api.graphql import ids
from api.graphql.compiler.cache import plan_operation
from api.graphql.compiler.sqljson import CannotCompile
from api.graphql.schema import build_schema
from core.db import transaction
from services import access
from services.auth import create_agency_key
from services.viewer import SYSTEM, Viewer
from tests.conftest import GQL
from tests.services.test_labour import next_bin

SCHEMA = build_schema()._schema
ROOTS_WITH_FILTERS = {name: f for name, f in SCHEMA.query_type.fields.items() if "filter" in f.args}
ID_TYPES = {"contractId": "SocialContract", "employerId": "Employer", "applicationId": "Application"}
STRINGS = {"regionCode": "KZ-55", "search": "Bek"}


def filter_type(root: str) -> GraphQLInputObjectType:
    type_ = ROOTS_WITH_FILTERS[root].args["filter"].type
    return type_.of_type if isinstance(type_, GraphQLNonNull) else type_


def test_every_filter_field_is_declared_and_tests_fields_that_exist() -> None:
    assert sorted(ROOTS_WITH_FILTERS) == sorted(access.FILTERS), "declare each root's filter in access.FILTERS"
    for root, declared in access.FILTERS.items():
        assert sorted(filter_type(root).fields) == sorted(declared), f"{root}: declare every field of its filter"
        for name, tested in declared.items():
            assert tested, f"{root}.filter.{name} tests nothing"
            for type_name, field_name in tested:
                assert field_name in SCHEMA.get_type(type_name).fields, f"{root}.filter.{name}: {type_name}.{field_name}"


def test_spec_refusals_are_declared() -> None:
    """The SPEC's rules, written out: the generated cases below follow the declaration."""
    refused = {(root, name, caller) for root, fields in access.FILTERS.items() for name in fields
               for caller in access.ROOTS[root].readers
               if access.refused_filter(VIEWERS[caller], root, [name])}
    assert refused == {
        ("residenceEvents", "contractId", access.Caller.AGENCY),
        ("residenceEvents", "openBreach", access.Caller.AGENCY),
        ("residenceEvents", "openBreach", access.Caller.APPLICANT),
        ("violations", "employerId", access.Caller.AGENCY),
        ("violations", "applicationId", access.Caller.AGENCY),
    }


def value_for(name: str, type_: Any) -> Any:
    type_ = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if name in ID_TYPES:
        return ids.encode(ID_TYPES[name], 1)
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    assert isinstance(type_, GraphQLScalarType), (name, type_)
    if type_.name == "Boolean":
        return True
    if type_.name == "Int":
        return 1
    if name == "bin":
        return next_bin()
    assert name in STRINGS, f"give the test a value for filter.{name}"
    return STRINGS[name]


CASES = [(root, name, caller) for root, fields in sorted(access.FILTERS.items()) for name in sorted(fields)
         for caller in sorted(access.ROOTS[root].readers - {access.Caller.ANONYMOUS}, key=lambda c: c.value)]
VIEWERS = {access.Caller.STAFF: Viewer(role="OFFICER", subject="officer"),
           access.Caller.APPLICANT: Viewer(role="APPLICANT", subject="alice"),
           access.Caller.AGENCY: Viewer(role="AGENCY", subject="agency:MVD_MIGRATION", agency_id=1,
                                        agency_code="MVD_MIGRATION")}


@pytest.mark.parametrize(("root", "name", "caller"), CASES, ids=[f"{r}.{n}-{c.value}" for r, n, c in CASES])
async def test_a_filter_field_is_refused_exactly_to_those_who_do_not_read_what_it_tests(
        gql: GQL, app: Any, root: str, name: str, caller: access.Caller) -> None:
    type_name = filter_type(root).name
    query = f"query($f: {type_name}) {{ {root}(first: 5, filter: $f) {{ edges {{ cursor }} }} }}"
    variables = {"f": {name: value_for(name, filter_type(root).fields[name].type)}}
    if caller is access.Caller.AGENCY:
        async with transaction(app.state.sessions) as session:
            key = (await create_agency_key(session, SYSTEM, "MVD_MIGRATION", label="filters"))[1]
        body = await gql(query, variables, token=key)
    else:
        body = await gql(query, variables, role="APPLICANT" if caller is access.Caller.APPLICANT else "OFFICER",
                         subject="alice")
    refusals = [e for e in body.get("errors", []) if e["extensions"]["code"] == "FORBIDDEN"]
    hidden = any(caller not in access.field_readers(t, f) for t, f in access.FILTERS[root][name])
    if hidden:
        assert body["data"] is None or body["data"][root] is None, body
        assert [e["extensions"]["field"] for e in refusals] == [["filter", name]], body
    else:
        assert body.get("errors") is None, body


def test_the_compiled_path_leaves_a_refused_filter_to_normal_execution(monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled path reads the same declaration: a filter the caller may not give
    is not compiled (normal execution then refuses it), one it may give is."""
    from graphql import parse

    text = "query($f: ApplicationFilter) { applications(first: 5, filter: $f) { edges { cursor } } }"
    officer = Viewer(role="OFFICER", subject="o")
    given = {"f": {"status": "SUBMITTED"}}
    plan_operation(SCHEMA, parse(text), text, None, given, officer)  # compiles
    monkeypatch.setitem(access.FILTERS["applications"], "status", (("Application", "permit"),))  # staff-only
    assert access.refused_filter(Viewer(role="APPLICANT", subject="a"), "applications", ["status"]) == "status"
    with pytest.raises(CannotCompile):
        plan_operation(SCHEMA, parse(text), text, None, given, Viewer(role="APPLICANT", subject="a"))
    plan_operation(SCHEMA, parse(text), text, None, {"f": {"route": "KANDAS"}}, Viewer(role="APPLICANT", subject="a"))
