"""Authenticates each /graphql request before execution. A bad, expired or
revoked credential is a 401 with a JSON error, never an anonymous request."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from core.asgi import HttpMiddleware
from api.graphql.view import unauthenticated
from core.db import transaction
from services import auth
from services.viewer import ANONYMOUS


class AuthenticateGraphQL(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        state = request.app.state
        header = request.headers.get("authorization")
        viewer = ANONYMOUS
        if header is not None:
            scheme, _, token = header.partition(" ")
            token = token.strip()
            limiter = state.auth_limiter
            client = request.client.host if request.client else "unknown"
            if not limiter.allowed(client):
                await unauthenticated("too many failed authentication attempts; try again later", 429)(scope, receive, send)
                return
            try:
                if scheme.lower() != "bearer" or not token:
                    raise auth.AuthenticationError("use 'Authorization: Bearer <token>'")
                if auth.looks_like_api_key(token):
                    async with state.read_sessions() as session:
                        viewer, touch = await auth.verify_agency_key(session, token)
                    if touch is not None:
                        async with transaction(state.sessions) as session:
                            await auth.touch_agency_key(session, touch)
                else:
                    viewer = await auth.verify_token(state.settings, token)
            except auth.AuthenticationError as exc:
                limiter.failed(client)
                await unauthenticated(str(exc))(scope, receive, send)
                return
        scope["qonys.viewer"] = viewer
        await self.app(scope, receive, send)
