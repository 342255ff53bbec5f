"""Ask the same database a query with the compiled read path on and off (PostgreSQL):
both engines must answer the same, and a new filter must reach the compiled
statement, or PostgreSQL answers without it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

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

    async def both(self, query: str, variables: dict[str, Any], token: str | None) -> tuple[bytes, bytes]:
        out = []
        body = json.dumps({"query": query, "variables": variables}, ensure_ascii=False, separators=(",", ":"),
                          allow_nan=False).encode()
        headers = [(b"authorization", f"Bearer {token}".encode())] if token else []
        for app in (self.on, self.off):
            status, content = await post(app, "/graphql", body, headers)
            assert status == 200, content.decode(errors="replace")
            out.append(content)
        return out[0], out[1]

    async def close(self) -> None:
        await self.on.state.engine.dispose()
        await self.off.state.engine.dispose()


async def post(app: Any, path: str, body: bytes, headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes]:
    """A JSON POST to the ASGI ``app``: its status and body. What ``httpx.ASGITransport``
    does (the same scope and headers as an ``httpx.AsyncClient`` at ``http://t``
    sends, the body in one message, ``http.disconnect`` once answered), without
    building httpx's request and response objects: ~0.4 ms of each request, and the
    access differential makes ~50,000."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "headers": [(b"host", b"t"), (b"accept", b"*/*"), (b"accept-encoding", b"gzip, deflate"),
                    (b"connection", b"keep-alive"), (b"user-agent", b"python-httpx/0.29.0"), *headers,
                    (b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")],
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "server": ("t", None),
        "client": ("127.0.0.1", 123), "root_path": "",
    }
    answered = asyncio.Event()
    received = False
    status: int | None = None
    parts: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal received
        if received:
            await answered.wait()
            return {"type": "http.disconnect"}
        received = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            assert status is None
            status = message["status"]
        elif message["type"] == "http.response.body":
            assert not answered.is_set()
            parts.append(message.get("body", b""))
            if not message.get("more_body", False):
                answered.set()

    await app(scope, receive, send)
    assert status is not None and answered.is_set()
    return status, b"".join(parts)


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
