"""The compiled lane: a query the compiled path has answered before, answered
again without the HTTP framework and without GraphQL execution.

A query text is known here once ``CompiledReadPath`` has answered it, which
means it was parsed within the token limit, validated against this schema and
its rules (depth, aliases, introspection) and compiled. For the same text
nothing of that can turn out differently, so the lane goes from the request's
bytes to the statement's bytes: it authenticates the caller
(``api.auth_middleware.authenticate``, the same check), plans the operation for
this caller and these variables (``plan_operation``, the same plan and access
filters), runs the one statement, and writes ``{"data": …}`` with the headers
every response carries (security headers, request id) and the operation's
metrics and log line (``api.observability.record_operation``).

Whatever it cannot answer that way goes on to the application as if the lane
were not there: another path, method or media type, a text not known yet, a
language other than English, variables the plan refuses (the normal path
reports them), a statement that failed. When it hands over after
authenticating, the caller and the request id go with the request (a
credential is checked, and a failure counted, once)."""

from __future__ import annotations

import json
import time
from contextlib import nullcontext
from typing import Any

import structlog
from graphql import DocumentNode
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth_middleware import authenticate
from api.graphql.compiler.cache import KNOWN, plan_operation
from api.graphql.compiler.extension import fetch_statement
from api.graphql.compiler.sqljson import CannotCompile
from api.graphql.replica import client_lsn
from api.graphql.view import GRAPHQL_RESPONSE_JSON, VIEWER
from api.observability import bind_request_id, operation_label, record_operation, with_request_id
from core import i18n
from core.asgi import adding_headers
from core.metrics import COMPILED_QUERIES, REPLICA_READS
from core.readpool import one_connection
from core.replica import unreachable
from core.settings import Settings

log = structlog.get_logger("qonys.compiler")


def _replay(body: bytes, receive: Receive) -> Receive:
    """``receive`` for the application after the lane has read the body."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again


class CompiledLane:
    """ASGI, in front of the application (``server.app``); ``headers``: what every
    /graphql response carries (the security headers)."""

    def __init__(self, app: ASGIApp, settings: Settings, headers: list[tuple[bytes, bytes]],
                 path: str = "/graphql") -> None:
        self.app = app
        self.headers = headers
        self.path = path
        self.enabled = settings.compiled_reads and not settings.is_sqlite
        self.max_body = settings.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.enabled or scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        length = headers.get("content-length", "")
        if (not headers.get("content-type", "").startswith("application/json") or not length.isdigit()
                or int(length) > self.max_body or i18n.negotiate(headers.get("accept-language")) != i18n.DEFAULT):
            await self.app(scope, receive, send)
            return
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
        receive = _replay(body, receive)
        known = variables = name = None
        try:
            payload = json.loads(body)
            if isinstance(payload, dict) and isinstance(payload.get("query"), str):
                name = payload.get("operationName")
                known = KNOWN.get((scope["app"].state.schema._schema, payload["query"], name))
                variables = payload.get("variables")
        except ValueError:
            pass
        if known is None or not (variables is None or isinstance(variables, dict)):
            await self.app(scope, receive, send)
            return
        if await self._answer(scope, receive, send, headers, payload["query"], name, variables, known):
            return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, headers: Headers, query: str,
                      name: str | None, variables: dict[str, Any] | None,
                      known: tuple[DocumentNode, str | None]) -> bool:
        """Answers the request; False: the application answers it (with the caller
        and the request id in the scope)."""
        start = time.perf_counter()
        state = scope["app"].state
        send = with_request_id(send, bind_request_id(scope))
        document, operation = known
        # The key's check and the statement on one connection: one wait for it. Not with a
        # replica, where the statement reads elsewhere while the primary's would sit idle.
        async with one_connection() if state.replica is None else nullcontext():
            viewer, refusal = await authenticate(state, scope)
            if refusal is None:
                scope[VIEWER] = viewer
                try:
                    prepared, arguments = plan_operation(state.schema._schema, document, query, operation,
                                                         variables, viewer)
                except CannotCompile:  # variables the normal path reports, or a caller it cannot compile for
                    return False
                except Exception:  # noqa: BLE001 - as in the compiled path: normal execution answers, with its own errors
                    log.warning("compiled_read.plan_failed", exc_info=True)
                    return False
                utf8 = await self._fetch(state, prepared.sql, arguments, viewer, headers)
        if refusal is not None:  # sent with the connection back in the pool
            await refusal(scope, receive, adding_headers(send, self.headers))
            return True
        if utf8 is None:
            return False
        COMPILED_QUERIES.inc()
        out = b'{"data":' + utf8 + b"}"
        media = GRAPHQL_RESPONSE_JSON if GRAPHQL_RESPONSE_JSON in headers.get("accept", "") else "application/json"
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-length", str(len(out)).encode()), (b"content-type", media.encode()), *self.headers]})
        await send({"type": "http.response.body", "body": out})
        record_operation(operation_label(operation), [], time.perf_counter() - start, viewer)
        return True

    async def _fetch(self, state: Any, sql: str, arguments: list[Any], viewer: Any, headers: Headers) -> bytes | None:
        """The statement's value, from the replica when the caller may read there
        (``api.graphql.replica``); None: it failed (logged), the application answers."""
        replica, where = state.replica, None
        failed: list[BaseException] = []

        def replica_failed(exc: BaseException) -> None:
            failed.append(exc)
            if unreachable(exc):
                replica.failed(exc)

        if replica is not None:
            where = await replica.route(viewer.principal, client_lsn(headers))
        try:
            return await fetch_statement(state.engine, state.settings, sql, arguments,
                                         replica=replica if where == "replica" else None,
                                         replica_failed=replica_failed)
        except Exception:  # noqa: BLE001 - the application answers, with its own errors
            log.warning("compiled_read.fallback", exc_info=True)
            return None
        finally:
            if where is not None:
                REPLICA_READS.labels("down" if failed else where).inc()
