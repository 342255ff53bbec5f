"""The GraphQL HTTP endpoint: authentication before execution, one context per request."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL

from api.graphql.context import Context
from services.viewer import ANONYMOUS, Viewer


class QonysGraphQL(GraphQL[Context, None]):
    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        state = request.app.state
        viewer: Viewer = request.scope.get("qonys.viewer", ANONYMOUS)
        return Context(request=request, response=response, settings=state.settings,
                       sessions=state.sessions, viewer=viewer)


def unauthenticated(message: str, status: int = 401) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]},
        status_code=status,
        headers={"WWW-Authenticate": 'Bearer realm="qonys"'} if status == 401 else None,
    )


def too_large(limit: int) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": f"request body exceeds the limit of {limit} bytes",
                     "extensions": {"code": "REQUEST_TOO_LARGE", "limit": "body"}}]},
        status_code=413,
    )


def json_error(message: str, code: str, status: int, **extra: Any) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code, **extra}}]}, status_code=status)


async def send_response(response: Response, scope: Scope, receive: Receive, send: Send) -> None:
    await response(scope, receive, send)
