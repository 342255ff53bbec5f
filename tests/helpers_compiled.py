"""Ask the same database a query with the compiled read path on and off (PostgreSQL):
both engines must answer the same, and a new filter must reach the compiled
statement, or PostgreSQL answers without it."""

from __future__ import annotations

import json
from typing import Any

import httpx

from core.metrics import COMPILED_QUERIES
from server.app import create_app
from tests.conftest import BACKEND, make_settings


class Pair:
    """The same database served twice: compiled reads on and off. Both apps (and
    every pair) execute on one schema object (``tests.conftest.shared_schema``), as
    production's one app per process does: the validation cache
    (``ValidationByText``, keyed by the query's text and the schema object) then
    validates a query once, not once per app and per test. Whether reads are
    compiled is the request's settings', not the schema's."""

    def __init__(self, url: str) -> None:
        self.on = create_app(make_settings(url, compiled_reads=True))
        self.off = create_app(make_settings(url, compiled_reads=False))
        assert self.on.state.schema is self.off.state.schema
        self.clients = [httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
                        for app in (self.on, self.off)]

    async def both(self, query: str, variables: dict[str, Any], token: str | None) -> tuple[bytes, bytes]:
        out = []
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        for client in self.clients:
            r = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
            assert r.status_code == 200, r.text
            out.append(r.content)
        return out[0], out[1]

    async def close(self) -> None:
        for client in self.clients:
            await client.aclose()
        await self.on.state.engine.dispose()
        await self.off.state.engine.dispose()


async def compiled_and_normal(url: str, query: str, variables: dict[str, Any], token: str
                              ) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """(compiled response, normal response, whether the first was compiled)."""
    pair = Pair(url)
    try:
        before = COMPILED_QUERIES._value.get()
        compiled, normal = await pair.both(query, variables, token)
        # both() asks the compiled app first: the counter moved for it alone
        was_compiled = COMPILED_QUERIES._value.get() == before + 1
    finally:
        await pair.close()
    return json.loads(compiled), json.loads(normal), was_compiled


def on_postgres() -> bool:
    return BACKEND == "postgres"
