"""Issue 13 item 9: a region-code filter reads the code as ``submitApplication``
does (``"kz-27"`` is ``KZ-27``); an unknown code is ``INVALID_INPUT`` naming the
argument, not an empty list. On PostgreSQL the compiled read path answers the
valid filters (checked by its counter) and gives way to the error for the rest."""

from __future__ import annotations

from typing import Any

import pytest

from core.metrics import COMPILED_QUERIES
from tests.conftest import BACKEND, GQL
from tests.factories import make_application, make_contract

OFFICER = {"role": "OFFICER", "subject": "officer-1"}
APPS = """query($f: ApplicationFilter) { applications(filter: $f) {
  totalCount edges { node { number targetRegion { code } } } } }"""
CONTRACTS = """query($f: ContractFilter) { contracts(filter: $f) {
  totalCount edges { node { number } } } }"""


@pytest.fixture
async def spread(sessions: Any) -> None:
    async with sessions.begin() as s:
        for code in ("KZ-27", "KZ-27", "KZ-55"):
            await make_application(s, route="GENERAL", region_code=code)
        await make_contract(s, region_code="KZ-55")
        await make_contract(s, region_code="KZ-63")


@pytest.mark.parametrize("typed", ["KZ-27", "kz-27", " Kz-27 "])
async def test_applications_region_filter_is_normalised(gql: GQL, spread: None, typed: str) -> None:
    before = COMPILED_QUERIES._value.get()
    data = await gql.ok(APPS, {"f": {"regionCode": typed}}, **OFFICER)
    page = data["applications"]
    assert page["totalCount"] == 2
    assert {e["node"]["targetRegion"]["code"] for e in page["edges"]} == {"KZ-27"}
    if BACKEND == "postgres":
        assert COMPILED_QUERIES._value.get() == before + 1, "the compiled path did not answer"
    # the same as a literal
    data = await gql.ok(f'{{ applications(filter: {{regionCode: "{typed}"}}) {{ totalCount }} }}', **OFFICER)
    assert data["applications"]["totalCount"] == 2


@pytest.mark.parametrize("typed", ["KZ-99", "kz-99", "", "Astana", "KZ-27; DROP TABLE region", "<b>KZ</b>"])
async def test_applications_unknown_region_is_invalid_input(gql: GQL, spread: None, typed: str) -> None:
    for doc, variables in ((APPS, {"f": {"regionCode": typed}}),
                           ("query($c: String) { applications(filter: {regionCode: $c, route: GENERAL}) "
                            "{ totalCount } }", {"c": typed})):
        body = await gql(doc, variables, **OFFICER)
        assert body["data"] is None
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "INVALID_INPUT", error
        assert error["extensions"]["field"] == ["filter", "regionCode"]
        assert "regionCode" in error["message"] and "ISO 3166-2:KZ" in error["message"]
        assert "<b>" not in error["message"]


async def test_contracts_region_filter_is_normalised_and_checked(gql: GQL, spread: None) -> None:
    for typed in ("KZ-55", "kz-55", " kz-55"):
        data = await gql.ok(CONTRACTS, {"f": {"regionCode": typed}}, **OFFICER)
        assert data["contracts"]["totalCount"] == 1
    body = await gql(CONTRACTS, {"f": {"regionCode": "KZ-99"}}, **OFFICER)
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "INVALID_INPUT", "field": ["filter", "regionCode"],
                                   "classification": "BAD_REQUEST"}


async def test_known_region_without_rows_is_an_empty_page(gql: GQL, spread: None) -> None:
    data = await gql.ok(APPS, {"f": {"regionCode": "kz-10"}}, **OFFICER)
    assert data["applications"] == {"totalCount": 0, "edges": []}
