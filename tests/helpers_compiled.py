"""Ask the same database a query with the compiled read path on and off (PostgreSQL):
a new filter must reach the compiled statement, or PostgreSQL answers without it."""

from __future__ import annotations

import json
from typing import Any

import httpx

from server.app import create_app
from core.metrics import COMPILED_QUERIES
from tests.conftest import BACKEND, make_settings


async def compiled_and_normal(url: str, query: str, variables: dict[str, Any], token: str
                              ) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """(compiled response, normal response, whether the first was compiled)."""
    out = []
    compiled = False
    for on in (True, False):
        app = create_app(make_settings(url, compiled_reads=on))
        try:
            before = COMPILED_QUERIES._value.get()
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
                r = await c.post("/graphql", json={"query": query, "variables": variables},
                                 headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200, r.text
            out.append(json.loads(r.content))
            if on:
                compiled = COMPILED_QUERIES._value.get() == before + 1
        finally:
            await app.state.engine.dispose()
    return out[0], out[1], compiled


def on_postgres() -> bool:
    return BACKEND == "postgres"
