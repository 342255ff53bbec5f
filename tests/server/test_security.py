"""Headers and exposure (issue 19): every response, API and admin panel alike,
carries the security headers (HSTS in production), and /metrics refuses an
anonymous scrape in production."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from core.settings import Settings
from tests.conftest import make_settings

TOKEN = "scrape-token-0123456789abcdef"
PATHS = ["/healthz", "/graphql", "/admin/login", "/admin/statics/css/main.css", "/nowhere"]


@pytest.fixture
def production(database_url: str) -> Settings:
    return make_settings(database_url, env="production")


async def _client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    from server.app import create_app

    app = create_app(settings)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://testserver") as c:
            yield c
    finally:
        await app.state.engine.dispose()


@pytest.fixture
async def prod_client(production: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async for c in _client(production):
        yield c


async def _get(client: httpx.AsyncClient, path: str) -> httpx.Response:
    if path == "/graphql":
        return await client.post(path, json={"query": "{ regions { code } }"})
    return await client.get(path)


def _assert_headers(response: httpx.Response) -> str:
    h = response.headers
    assert h["x-frame-options"] == "DENY"
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "no-referrer"
    csp = h["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["frame-ancestors"] == "'none'"
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["script-src"].startswith("'self'")
    return directives["script-src"]


@pytest.mark.parametrize("path", PATHS)
async def test_every_response_carries_the_headers_in_production(path: str, prod_client: httpx.AsyncClient) -> None:
    response = await _get(prod_client, path)
    script_src = _assert_headers(response)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert response.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"


@pytest.mark.parametrize("path", PATHS)
async def test_development_has_them_too_without_hsts(path: str, client: httpx.AsyncClient) -> None:
    response = await _get(client, path)
    script_src = _assert_headers(response)
    assert "strict-transport-security" not in response.headers
    # Only GraphiQL's page (development only) may run its inline script.
    assert ("'unsafe-inline'" in script_src) == (path == "/graphql")


async def test_graphiql_is_off_in_production(prod_client: httpx.AsyncClient) -> None:
    page = await prod_client.get("/graphql", headers={"Accept": "text/html"})
    assert "graphiql" not in page.text.lower()


async def test_metrics_refuse_an_anonymous_scrape_in_production(prod_client: httpx.AsyncClient) -> None:
    response = await prod_client.get("/metrics")
    assert response.status_code == 404 and "qonys" not in response.text


async def test_metrics_need_the_token_when_one_is_set(database_url: str) -> None:
    async for c in _client(make_settings(database_url, env="production", metrics_token=TOKEN)):
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                        {"Authorization": f"Basic {TOKEN}"}):
            refused = await c.get("/metrics", headers=headers)
            assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer", headers
            _assert_headers(refused)
        scraped = await c.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert scraped.status_code == 200 and "# TYPE" in scraped.text
        _assert_headers(scraped)


async def test_metrics_stay_open_in_development_without_a_token(client: Any) -> None:
    assert (await client.get("/metrics")).status_code == 200
