"""Authenticates each /graphql request before execution. A bad, expired or
revoked credential is a 401 with a JSON error, never an anonymous request; a
client past the failed-authentication limit (``services.throttle``, counted
over every process) is a 429, whatever it sends."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from core.asgi import HttpMiddleware
from api.graphql.view import unauthenticated
from core.db import transaction
from core.readpool import read_pool
from services import auth
from services.viewer import ANONYMOUS

TOO_MANY = "too many failed authentication attempts; try again later"


async def _check_key(state: Any, key: str, client: str) -> auth.KeyCheck:
    """An agency's API key, with the client's failed authentications: on PostgreSQL
    one statement on the read pool, on SQLite through a session."""
    throttle = state.auth_throttle
    if not state.settings.is_sqlite:
        return await auth.verify_agency_key_pooled(read_pool(state.engine, state.settings), key,
                                                   throttle.count_args(client))
    async with state.read_sessions() as session:
        return await auth.verify_agency_key(session, key, throttle.failures(client))


class AuthenticateGraphQL(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        state = request.app.state
        header = request.headers.get("authorization")
        viewer = ANONYMOUS
        if header is not None:
            scheme, _, token = header.partition(" ")
            token = token.strip()
            throttle = state.auth_throttle
            client = request.client.host if request.client else "unknown"
            touch = None
            try:
                if scheme.lower() != "bearer" or not token:
                    raise auth.AuthenticationError("use 'Authorization: Bearer <token>'")
                if auth.looks_like_api_key(token):
                    viewer, touch, failures = await _check_key(state, token, client)
                    refused = throttle.over(failures)
                else:
                    viewer = await auth.verify_token(state.settings, token)
                    refused = await throttle.refused_signed(client)
            except auth.AuthenticationError as exc:
                if await throttle.failed(client):
                    await unauthenticated(str(exc))(scope, receive, send)
                else:
                    await unauthenticated(TOO_MANY, 429)(scope, receive, send)
                return
            if refused:  # a good credential too waits until the failures have aged out
                await unauthenticated(TOO_MANY, 429)(scope, receive, send)
                return
            if touch is not None:
                async with transaction(state.sessions) as session:
                    await auth.touch_agency_key(session, touch)
        scope["qonys.viewer"] = viewer
        await self.app(scope, receive, send)
