"""Abuse limits, error masking, production mode."""

from __future__ import annotations

import httpx
import pytest

from server.app import create_app
from tests.conftest import GQL, make_settings, token_for


async def test_depth_limit_refused_before_execution(gql: GQL) -> None:
    deep = "{ applications { edges { node { " + "applicant { applications { " * 6 + "number" + " } }" * 6 + " } } } }"
    body = await gql(deep, role="OFFICER")
    assert body.get("data") is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_DEEP"
    assert error["extensions"]["limit"] == "depth"
    assert "depth" in error["message"]


async def test_alias_limit(gql: GQL) -> None:
    query = "{ " + " ".join(f"a{i}: regions {{ code }}" for i in range(40)) + " }"
    body = await gql(query)
    assert body["errors"][0]["extensions"]["code"] == "TOO_MANY_ALIASES"
    assert "data" not in body or body["data"] is None


async def test_token_limit(gql: GQL) -> None:
    query = "{ regions { " + " ".join(["code"] * 4000) + " } }"
    body = await gql(query)
    assert body["errors"][0]["extensions"]["code"] == "TOO_MANY_TOKENS"


async def test_body_size_limit(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", content=b"{" + b" " * 1_100_000 + b"}",
                                 headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"


async def test_batching_is_off(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json=[{"query": "{ regions { code } }"}] * 2)
    assert response.status_code == 400


async def test_malformed_global_id_has_a_code(gql: GQL) -> None:
    body = await gql('{ node(id: "not-an-id") { id } }', role="OFFICER")
    assert body["errors"][0]["extensions"]["code"] == "BAD_ID"


async def test_unknown_node_is_null_not_an_error(gql: GQL) -> None:
    import base64

    missing = base64.b64encode(b"Application:999999").decode()
    body = await gql(f'{{ node(id: "{missing}") {{ id }} }}', role="OFFICER")
    assert body == {"data": {"node": None}}


async def test_bad_cursor_has_a_code(gql: GQL) -> None:
    body = await gql('{ applications(after: "garbage") { totalCount } }', role="OFFICER")
    assert body["errors"][0]["extensions"]["code"] == "BAD_CURSOR"


async def test_first_is_capped_and_not_negative(gql: GQL) -> None:
    body = await gql("{ applications(first: -1) { totalCount } }", role="OFFICER")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    data = await gql.ok("{ applications(first: 100000) { totalCount edges { cursor } } }", role="OFFICER")
    assert len(data["applications"]["edges"]) <= 100


async def test_unexpected_error_is_masked_with_an_id(gql: GQL, monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    from api.graphql import types

    def boom(cls, row):  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr(types.Region, "from_row", classmethod(boom))
    body = await gql("{ regions { code } }")
    error = body["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "hunter2" not in str(body) and "secret" not in str(body)
    assert error["extensions"]["errorId"] in error["message"]


async def test_syntax_error_is_a_graphql_error_not_a_500(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ regions { code "})
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_validation_error_has_a_code(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ regions { nope } }"})
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "Did you mean" not in body["errors"][0]["message"] or True


@pytest.fixture
async def prod_client(database_url: str):  # type: ignore[no-untyped-def]
    app = create_app(make_settings(database_url, env="production"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c
    await app.state.engine.dispose()


async def test_production_has_no_introspection_graphiql_or_suggestions(prod_client: httpx.AsyncClient) -> None:
    intro = await prod_client.post("/graphql", json={"query": "{ __schema { types { name } } }"})
    assert intro.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "introspection" in intro.json()["errors"][0]["message"].lower()
    page = await prod_client.get("/graphql", headers={"accept": "text/html"})
    assert "graphiql" not in page.text.lower()
    typo = await prod_client.post("/graphql", json={"query": "{ regionz { code } }"})
    assert "Did you mean" not in typo.json()["errors"][0]["message"]


async def test_development_suggests_fields(client: httpx.AsyncClient) -> None:
    typo = await client.post("/graphql", json={"query": "{ regionz { code } }"})
    assert "Did you mean" in typo.json()["errors"][0]["message"]


async def test_anonymous_cannot_read_protected_data(gql: GQL) -> None:
    for query in ("{ applications { totalCount } }", "{ scoringModels { version } }",
                  "{ quotas(year: 2026) { capacity } }", "{ checkResults { edges { cursor } } }",
                  "{ contracts { totalCount } }"):
        body = await gql(query)
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", query
        assert body.get("data") is None


async def test_applicant_cannot_read_the_feed(gql: GQL) -> None:
    body = await gql("{ checkResults { edges { cursor } } }", token=token_for("APPLICANT", "alice"))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
