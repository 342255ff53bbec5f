"""Authenticates each /graphql request before execution. A bad, expired or
revoked credential is a 401 with a JSON error, never an anonymous request."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api.graphql.view import unauthenticated
from core.db import transaction
from services import auth
from services.viewer import ANONYMOUS


class AuthenticateGraphQL:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        state = request.app.state
        header = request.headers.get("authorization")
        viewer = ANONYMOUS
        if header is not None:
            scheme, _, token = header.partition(" ")
            token = token.strip()
            limiter = getattr(state, "auth_limiter", None)
            client = request.client.host if request.client else "unknown"
            if limiter is not None and not limiter.allowed(client):
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
                if limiter is not None:
                    limiter.failed(client)
                await unauthenticated(str(exc))(scope, receive, send)
                return
        scope["qonys.viewer"] = viewer
        await self.app(scope, receive, send)
