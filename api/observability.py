"""Logs, request ids and the Prometheus endpoint (the metrics are ``core.metrics``).

Logs are structured (structlog): JSON in production, readable in development,
with the request id, the GraphQL operation and the caller's role and subject on
every line. Personal data (names, IINs, document numbers) is never logged:
GraphQL variables are not logged at all."""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import Iterator

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from core.asgi import HttpMiddleware, adding_headers
from core.metrics import DB_POOL_IN_USE, DB_POOL_SIZE, ERRORS, EXPOSITION, GRAPHQL_LATENCY, GRAPHQL_REQUESTS

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID_BYTES = REQUEST_ID_HEADER.encode()
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def configure_logging(production: bool) -> None:
    processors: list = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if production:
        processors += [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    else:
        processors += [structlog.dev.ConsoleRenderer(colors=False)]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        # A line in one write (PrintLogger's print() writes the line, then its newline: two system calls).
        logger_factory=structlog.WriteLoggerFactory(file=sys.stderr),
        # Production configures once: loggers bound on first use (a bind per line otherwise).
        cache_logger_on_first_use=production,
    )


class RequestContext(HttpMiddleware):
    """A request id on every log line and in the response headers."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = bind_request_id(scope)
        try:
            await self.app(scope, receive, with_request_id(send, request_id))
        finally:
            structlog.contextvars.clear_contextvars()


def bind_request_id(scope: Scope) -> str:
    """The request's id (the client's ``X-Request-Id`` when it is safe to log, else a
    new one; kept in the scope, so a request has one), bound to its log lines."""
    request_id = scope.get("qonys.request_id")
    if request_id is None:
        incoming = ""
        for name, value in scope.get("headers", []):
            if name == _REQUEST_ID_BYTES:
                incoming = value.decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        scope["qonys.request_id"] = request_id
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id)
    return request_id


def with_request_id(send: Send, request_id: str) -> Send:
    """``send`` that puts the request id in the response's headers."""
    return adding_headers(send, [(_REQUEST_ID_BYTES, request_id.encode())])


def operation_label(name: str | None) -> str:
    """An operation's name as a metric label (the client chooses it: bounded)."""
    name = name or "anonymous"
    return name if len(name) <= 64 and name.replace("_", "").isalnum() else "invalid"


def record_operation(name: str, errors: list, elapsed: float, viewer: object) -> None:
    """One operation's latency, outcome and error codes, and its log line."""
    outcome = "error" if errors else "ok"
    for error in errors:
        ERRORS.labels((error.extensions or {}).get("code", "UNKNOWN")).inc()
    GRAPHQL_REQUESTS.labels(name, outcome).inc()
    GRAPHQL_LATENCY.labels(name).observe(elapsed)
    _log.info("graphql.operation", operation=name, outcome=outcome, ms=round(elapsed * 1000, 2),
              role=getattr(viewer, "role", None), subject=getattr(viewer, "subject", None), errors=len(errors))


_log = structlog.get_logger("qonys.graphql")


class OperationMetrics(SchemaExtension):
    """Per operation (not per field): latency, outcome and error codes, and one log line."""

    def on_operation(self) -> Iterator[None]:
        start = time.perf_counter()
        yield
        ctx = self.execution_context
        if ctx.result is not None and getattr(ctx.result, "errors", None):
            errors = list(ctx.result.errors)
        else:
            errors = list(ctx.pre_execution_errors or [])
        record_operation(operation_label(ctx.operation_name), errors, time.perf_counter() - start,
                         getattr(ctx.context, "viewer", None))


def watch_pool(engine: AsyncEngine) -> None:
    """Keep the pool gauges current as connections come and go (not at the scrape:
    with several workers the scrape is answered by one of them, and each
    worker's numbers must be its own and up to date). Every checkout has its
    checkin, also for a connection invalidated meanwhile."""
    pool = engine.sync_engine.pool
    size = getattr(pool, "size", None)
    if callable(size):
        DB_POOL_SIZE.set(size())
    event.listen(pool, "checkout", lambda *_: DB_POOL_IN_USE.inc())
    event.listen(pool, "checkin", lambda *_: DB_POOL_IN_USE.dec())


async def metrics(request: Request) -> Response:
    return Response(generate_latest(EXPOSITION), media_type=CONTENT_TYPE_LATEST)
