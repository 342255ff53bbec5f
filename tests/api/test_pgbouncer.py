"""Through PgBouncer in transaction pooling mode (the PgBouncer run: ``make
test-pgbouncer``): many requests at once, compiled and normally executed, reads
and a write, each transaction on whichever server session PgBouncer hands it.
A statement prepared under a name on one session and executed on another
(asyncpg's and SQLAlchemy's caches, left on) fails here with "prepared
statement … does not exist" or "already exists"."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from core.metrics import COMPILED_QUERIES
from tests.conftest import PGBOUNCER, token_for

pytestmark = pytest.mark.skipif(not PGBOUNCER, reason="runs through PgBouncer (QONYS_TEST_PGBOUNCER=1)")

COMPILED = "query Count { applications(first: 3) { totalCount edges { node { id status } } } }"
REGIONS = "query Regions { regions { code name } }"


async def test_many_requests_at_once_share_the_server_sessions(client: httpx.AsyncClient) -> None:
    officer = {"Authorization": f"Bearer {token_for('OFFICER', 'o1')}"}

    async def ask(query: str, language: str) -> dict:
        response = await client.post("/graphql", json={"query": query},
                                     headers={**officer, "Accept-Language": language})
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    before = COMPILED_QUERIES._value.get()
    rounds = 3
    for _ in range(rounds):  # English: compiled; Kazakh: executed by the resolvers (SQLAlchemy)
        answers = await asyncio.gather(*(ask(q, lang) for q in (COMPILED, REGIONS) for lang in ("en", "kk")
                                         for _ in range(10)))
        assert len({str(a) for a in answers[:10]}) == 1  # the same page every time
    assert COMPILED_QUERIES._value.get() - before >= rounds * 10
