"""The composition root: the Starlette application with /graphql, /healthz,
/metrics and /admin. The API and the admin panel are mounted here and know
nothing of each other."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admin.setup import mount_admin
from core import i18n
from core.asgi import HttpMiddleware
from api.auth_middleware import AuthenticateGraphQL
from api.graphiql_assets import ASSETS_URL
from api.graphiql_assets import DEST as GRAPHIQL_ASSETS
from api.graphql.compiler.lane import CompiledLane
from api.graphql.schema import build_schema
from api.graphql.view import QonysGraphQL, too_large
from api.observability import RequestContext, configure_logging, metrics, watch_pool
from core.metrics import process_exited
from core.settings import Settings, get_settings
from core.db import create_engine, read_session_factory, session_factory
from core.replica import Replica
from models.base import today_almaty
from server import public
from server.security import SecurityHeaders, guarded_metrics, security_headers
from services import year_data
from services.throttle import API, Throttle
from services.webhooks import worker as webhook_worker

log = structlog.get_logger("qonys.app")


class BodySizeLimit(HttpMiddleware):
    """Refuses request bodies over the configured size, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes

    def refusal(self, scope: Scope) -> ASGIApp:
        """413, in the request's language (negotiated only when refusing)."""
        return too_large(self.max_bytes, i18n.negotiate(Headers(scope=scope).get("accept-language")))

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = self.max_bytes + 1
                if declared > self.max_bytes:
                    await self.refusal(scope)(scope, receive, send)
                    return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send)
        except BodyTooLarge:
            await self.refusal(scope)(scope, receive, send)


class BodyTooLarge(Exception):
    pass


async def healthz(request: Request) -> JSONResponse:
    engine = request.app.state.engine
    try:
        async with asyncio.timeout(request.app.state.settings.connect_timeout_s):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            async with request.app.state.read_sessions() as session:
                missing = await year_data.missing_year_data(session)
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        reason = type(exc).__name__
        log.warning("healthz.database_unreachable", reason=reason)
        return JSONResponse({"status": "unavailable", "database": "unreachable", "reason": reason}, status_code=503)
    # Still "ok" (the service works): a warning is for people, not for the load balancer.
    body = {"status": "ok", "database": "reachable", "today": today_almaty().isoformat(),
            "warnings": [m.message for m in missing]}
    replica = request.app.state.replica
    if replica is not None:  # down: the reads go to the primary meanwhile, the service works
        body["replica"] = "up" if replica.available() else "down"
    return JSONResponse(body)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()
    settings.apply_clock()
    configure_logging(settings.production)
    engine = create_engine(settings)
    sessions = session_factory(engine)
    read_sessions = read_session_factory(engine)
    # QONYS_READ_DATABASE_URL: the API's query operations and the public downloads
    # read a streaming replica (core.replica); unset, nothing of it exists.
    replica = Replica(engine, settings) if settings.read_database_url else None

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Everything built so far (schema, mappers, settings) lives as long as the
        # process: move it out of the cyclic collector's way, so that collections
        # under load scan only what requests create (shorter pauses, lower p99:
        # officers' list at 16 connections, 103–120 ms → 82–91 ms on this machine).
        gc.collect()
        gc.freeze()
        yield
        await webhook_worker.close()
        if replica is not None:
            await replica.close()
        await engine.dispose()
        process_exited()

    schema = build_schema(production=settings.production, read_replica=replica is not None)
    graphql_app = QonysGraphQL(
        schema,
        graphql_ide=None if settings.production else "graphiql",
        allow_queries_via_get=False,
    )
    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", guarded_metrics(metrics, settings), methods=["GET"]),
        Route("/graphql", AuthenticateGraphQL(graphql_app), methods=["GET", "POST"]),
        Route("/public/rounds.json", public.rounds_json, methods=["GET"]),  # SPEC §17: no token
        Route("/public/rounds.csv", public.rounds_csv, methods=["GET"]),
    ]
    if not settings.production:  # GraphiQL's files, served here: no CDN (closed networks)
        routes.append(Mount(ASSETS_URL, app=StaticFiles(directory=GRAPHIQL_ASSETS, check_dir=False),
                            name="graphiql-assets"))
    app = Starlette(
        routes=routes,
        # The compiled lane first: the queries it answers need nothing of what follows.
        middleware=[Middleware(CompiledLane, settings=settings,
                               headers=security_headers(settings.production, graphql=True)),
                    Middleware(SecurityHeaders, production=settings.production), Middleware(RequestContext),
                    Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.read_sessions = read_sessions  # the primary's: credentials, /healthz
    app.state.replica = replica
    app.state.schema = schema
    app.state.auth_throttle = Throttle(API, engine, settings)
    watch_pool(engine)
    mount_admin(app, engine, sessions, settings)
    return app
