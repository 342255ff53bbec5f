"""Authenticates each /graphql request before execution. A bad, expired or
revoked credential is a 401 with a JSON error, never an anonymous request; a
client past the failed-authentication limit (``services.throttle``, counted
over every process) is a 429, whatever it sends."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from core import i18n
from core.asgi import HttpMiddleware
from api.graphql.view import VIEWER, unauthenticated
from core.db import transaction
from core.readpool import read_pool
from core.text import t
from services import auth
from services.viewer import ANONYMOUS, Viewer

TOO_MANY = t("too many failed authentication attempts; try again later")


async def _check_key(state: Any, key: str, client: str) -> auth.KeyCheck:
    """An agency's API key, with the client's failed authentications: on PostgreSQL
    one statement on the read pool, on SQLite through a session."""
    throttle = state.auth_throttle
    if not state.settings.is_sqlite:
        return await auth.verify_agency_key_pooled(read_pool(state.engine, state.settings), key,
                                                   throttle.count_args(client))
    async with state.read_sessions() as session:
        return await auth.verify_agency_key(session, key, throttle.failures(client))


def _language(request: Request) -> str:
    """The language of a refusal (negotiated only when there is one to say)."""
    return i18n.negotiate(request.headers.get("accept-language"))


async def authenticate(state: Any, scope: Scope) -> tuple[Viewer, Response | None]:
    """The caller of this request, or the response that refuses it (401, or 429 past
    the failed-authentication limit). No ``Authorization`` header: anonymous."""
    request = Request(scope)
    header = request.headers.get("authorization")
    if header is None:
        return ANONYMOUS, None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    throttle = state.auth_throttle
    client = request.client.host if request.client else "unknown"
    touch = None
    try:
        if scheme.lower() != "bearer" or not token:
            raise auth.AuthenticationError(t("use 'Authorization: Bearer <token>'"))
        if auth.looks_like_api_key(token):
            viewer, touch, failures = await _check_key(state, token, client)
            refused = throttle.over(failures)
        else:
            viewer = await auth.verify_token(state.settings, token)
            refused = await throttle.refused_signed(client)
    except auth.AuthenticationError as exc:
        if await throttle.failed(client):
            return ANONYMOUS, unauthenticated(exc.args[0], _language(request))
        return ANONYMOUS, unauthenticated(TOO_MANY, _language(request), 429)
    if refused:  # a good credential too waits until the failures have aged out
        return ANONYMOUS, unauthenticated(TOO_MANY, _language(request), 429)
    if touch is not None:
        async with transaction(state.sessions) as session:
            await auth.touch_agency_key(session, touch)
    return viewer, None


class AuthenticateGraphQL(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Set already when the compiled lane (``api.graphql.compiler.lane``) authenticated
        # this request and then handed it over: a credential is checked once a request.
        if VIEWER not in scope:
            viewer, refusal = await authenticate(scope["app"].state, scope)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
            scope[VIEWER] = viewer
        await self.app(scope, receive, send)
