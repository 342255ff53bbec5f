"""Officers find applications by number, name, IIN and document number (issue 13
item 12): ``applications(filter: {search})``, case-insensitive, Cyrillic and Latin
spellings of a name finding each other, on both databases (a trigram index on
PostgreSQL), through the compiled read path too."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text

import models as m
from services.search import fold, search_key
from tests.conftest import GQL, token_for
from tests.helpers_compiled import compiled_and_normal, on_postgres
from tests.helpers_pipeline import submit, submit_input

SEARCH = """query($search: String, $status: ApplicationStatus, $first: Int) {
  applications(first: $first, filter: {search: $search, status: $status}) {
    totalCount edges { node { id number status applicant { fullName } } } } }"""

PEOPLE = {
    "bekova_latin": ("Aigerim Bekova", "FA 123-4567"),
    "bekova_cyrillic": ("Айгерим Бекова", "N7654321"),
    "zhumabaev_kazakh": ("Ержан Жұмабаев", "AB0000001"),
    "zhumabaev_latin": ("Yerzhan Zhumabayev", "AB0000002"),
    "other": ("Daniyar Sultanov", "ZZ9988776"),
}


@pytest.fixture
async def people(gql: GQL) -> dict[str, dict[str, Any]]:
    made = {}
    for key, (name, document) in PEOPLE.items():
        owner = {"role": "APPLICANT", "subject": "alice"} if key == "bekova_cyrillic" else {}
        made[key] = await submit(gql, submit_input("GENERAL", "KZ-75", ethnic_kazakh=False, full_name=name,
                                                   document_number=document), **owner)
    return made


async def found(gql: GQL, search: str | None, role: str = "OFFICER", **variables: Any) -> list[str]:
    data = await gql.ok(SEARCH, {"search": search, "first": 100, **variables}, role=role,
                        subject="alice" if role == "APPLICANT" else None)
    edges = data["applications"]["edges"]
    assert data["applications"]["totalCount"] == len(edges)
    return sorted(e["node"]["id"] for e in edges)


def ids_of(people: dict[str, dict[str, Any]], *keys: str) -> list[str]:
    return sorted(people[k]["id"] for k in keys)


async def test_search_by_name_finds_cyrillic_and_latin_spellings(gql: GQL, people: dict[str, Any]) -> None:
    both = ids_of(people, "bekova_latin", "bekova_cyrillic")
    for text_ in ("Бекова", "Bekova", "BEKOVA", "bekov", "Aigerim Bekova", "бекова айгерим", "  Айгерим   БЕКОВА "):
        assert await found(gql, text_) == both, text_
    zhumabaev = ids_of(people, "zhumabaev_kazakh", "zhumabaev_latin")
    for text_ in ("Жұмабаев", "Жумабаев", "Zhumabayev", "zhumabaev", "Ержан", "Yerzhan", "Erzhan"):
        assert await found(gql, text_) == zhumabaev, text_
    assert await found(gql, "Sultanova") == []


async def test_search_by_number_iin_and_document(gql: GQL, people: dict[str, Any]) -> None:
    target = people["bekova_latin"]
    number = target["number"]
    assert await found(gql, number) == [target["id"]]
    assert await found(gql, number.lower()) == [target["id"]]
    assert await found(gql, number.split("-", 1)[1]) == [target["id"]]  # "2026-000001"
    iin = target["applicant"]["iin"]
    assert iin and await found(gql, iin) == [target["id"]]
    for document in ("FA1234567", "fa 123-4567", "FA-123 4567", "1234567"):
        assert await found(gql, document) == [target["id"]], document
    # Words must all match, in any order and field; other filters still apply.
    assert await found(gql, f"bekova {number}") == [target["id"]]
    assert await found(gql, "bekova ZZ9988776") == []
    assert await found(gql, "bekova", status="SUBMITTED") == ids_of(people, "bekova_latin", "bekova_cyrillic")
    assert await found(gql, "bekova", status="WITHDRAWN") == []
    # A blank search is no filter.
    assert len(await found(gql, "   ")) == len(people)


async def test_an_applicant_searches_only_their_own(gql: GQL, people: dict[str, Any]) -> None:
    assert await found(gql, "Bekova", role="APPLICANT") == [people["bekova_cyrillic"]["id"]]
    assert await found(gql, "Zhumabaev", role="APPLICANT") == []


@pytest.mark.parametrize(("search", "problem"), [("!!! ---", "letter or digit"), ("a" * 201, "at most 200"),
                                                 ("a b c d e f g h i", "at most 8 words")])
async def test_a_search_that_cannot_be_searched_is_invalid_input(gql: GQL, search: str, problem: str) -> None:
    body = await gql(SEARCH, {"search": search}, role="OFFICER")
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "INVALID_INPUT", "field": ["filter", "search"],
                                   "classification": "BAD_REQUEST"}
    assert problem in error["message"]


async def test_the_key_is_written_with_the_application(gql: GQL, sessions: Any, people: dict[str, Any]) -> None:
    async with sessions() as s:
        rows = (await s.execute(select(m.Application, m.Applicant).join(
            m.Applicant, m.Applicant.id == m.Application.applicant_id))).all()
    assert len(rows) == len(people)
    for app, person in rows:
        assert app.search_key == search_key(number=app.number, full_name=person.full_name, iin=app.iin,
                                            document_number=app.document_number)
    assert fold("Айгерим Бекова") == fold("Aigerim Bekova") == "aigerim bekova"


@pytest.mark.skipif(not on_postgres(), reason="the trigram index and the compiled read path are PostgreSQL's")
async def test_postgres_serves_the_search_from_a_trigram_index_and_compiles_it(
        gql: GQL, sessions: Any, people: dict[str, Any], database_url: str) -> None:
    async with sessions() as s:
        definition = (await s.execute(text(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_application_search_key'"))).scalar_one()
        assert "USING gin (search_key gin_trgm_ops)" in definition
        await s.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join((await s.execute(text(
            "EXPLAIN SELECT id FROM application WHERE search_key LIKE '%bekova%'"))).scalars())
        assert "ix_application_search_key" in plan, plan

    token = token_for("OFFICER", "officer-1")
    for search in ("Бекова", "zhumabaev AB0000002", people["other"]["number"]):
        compiled, normal, was_compiled = await compiled_and_normal(
            database_url, SEARCH, {"search": search, "first": 100}, token)
        assert was_compiled, search
        assert compiled == normal, search
        assert sorted(e["node"]["id"] for e in compiled["data"]["applications"]["edges"]) == await found(gql, search)
    compiled, _, was_compiled = await compiled_and_normal(database_url, SEARCH, {"search": "bekova", "first": 100},
                                                          token_for("APPLICANT", "alice"))
    assert was_compiled
    assert [e["node"]["id"] for e in compiled["data"]["applications"]["edges"]] == [people["bekova_cyrillic"]["id"]]
