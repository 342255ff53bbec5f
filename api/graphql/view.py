"""The GraphQL HTTP endpoint: authentication before execution, one context per request."""

from __future__ import annotations

import json
from contextvars import ContextVar
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send
from cross_web import HTTPException
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, process_result
from strawberry.types import ExecutionResult

from api.graphql.compiler.sqljson import RawJSON
from api.graphql.context import Context
from core import i18n
from core.text import Text, t
from services.viewer import ANONYMOUS, Viewer


def translate_response(data: dict[str, Any], result: ExecutionResult, language: str) -> None:
    """SPEC §16: the messages of a response in the request's language. Every
    message a service or resolver wrote with ``core.text.t`` reaches here as a
    ``Text`` (in ``data``: user errors' messages, a score's reasons; in
    ``errors``: the message of the error raised); codes, fields and values
    are left as they are."""
    if data.get("data") is not None and not isinstance(data["data"], RawJSON):
        data["data"] = i18n.translate(data["data"], language)
    for formatted, error in zip(data.get("errors") or [], result.errors or []):
        source: Any = error.message
        if not isinstance(source, Text):
            source = getattr(error.original_error, "message", None)
        if isinstance(source, Text):
            formatted["message"] = i18n.translate(source, language)


def error_code(message: str, has_data: bool) -> str:
    """A code for errors that graphql-core and Strawberry's limiters raise without one."""
    if "tokens" in message and ("more than" in message or "maximum number" in message):
        return "TOO_MANY_TOKENS"
    if message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if "maximum operation depth" in message:
        return "QUERY_TOO_DEEP"
    if "aliases found" in message:
        return "TOO_MANY_ALIASES"
    return "BAD_USER_INPUT" if has_data else "GRAPHQL_VALIDATION_FAILED"


LIMITS = {"TOO_MANY_TOKENS": "tokens", "QUERY_TOO_DEEP": "depth", "TOO_MANY_ALIASES": "aliases"}
# Errors the caller caused and can act on; generic tools (fuzzers, gateways)
# read ``classification`` to tell them from server faults.
CLIENT_CODES = frozenset({
    "UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "BAD_ID", "BAD_CURSOR", "BAD_USER_INPUT", "INVALID_INPUT",
    "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", *LIMITS,
})


GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
# The scope key of the authenticated caller (``api.auth_middleware``).
VIEWER = "qonys.viewer"
REQUEST_ERRORS = frozenset({"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", *LIMITS})
# Also a request error when raised before execution (no ``path``): a refused argument value.
REQUEST_ERRORS_BEFORE_EXECUTION = frozenset({*REQUEST_ERRORS, "INVALID_INPUT"})
# (media type, status) for the response being built; set in process_result, read in create_response.
_response_shape: ContextVar[tuple[str, int] | None] = ContextVar("qonys_response_shape", default=None)


class QonysGraphQL(GraphQL[Context, None]):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Strawberry answers a request it cannot read with plain text; ours is a
        GraphQL-over-HTTP error body, like every other error."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as exc:
            response = json_error(exc.reason, "BAD_REQUEST", exc.status_code, classification="BAD_REQUEST")
        await response(scope, receive, send)

    def decode_json(self, data: str | bytes) -> object:
        """A GraphQL request is one JSON object (batching is off): a string, number,
        array, ``null`` or boolean body is a 400, never a crash further on."""
        value = json.loads(data)
        if not isinstance(value, dict):
            raise HTTPException(400, "the request body must be a JSON object with a \"query\"")
        return value

    # The GraphiQL page, built once; it loads only files this server serves (api.graphiql_assets).
    _ide_page: str | None = None

    async def render_graphql_ide(self, request: Request) -> Response:  # type: ignore[override]
        from api.graphiql_assets import MISSING_PAGE, graphiql_page

        if self._ide_page is None:
            self._ide_page = graphiql_page()
        if self._ide_page is None:  # not installed (yet): say how, and check again next time
            return HTMLResponse(MISSING_PAGE)
        return HTMLResponse(self._ide_page)

    def encode_json(self, data: Any) -> str | bytes:
        """Compact UTF-8 JSON; a compiled query's ``data`` is already JSON text."""
        payload = data.get("data") if isinstance(data, dict) else None
        if isinstance(payload, RawJSON):
            if set(data) == {"data"}:
                return b'{"data":' + payload.utf8 + b"}"
            data = {**data, "data": payload.parsed()}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    def create_response(self, response_data: Any, sub_response: Response) -> Response:  # type: ignore[override]
        response = super().create_response(response_data, sub_response)
        shape = _response_shape.get()
        if shape is not None:
            media_type, status = shape
            response.headers["content-type"] = media_type
            if status != 200:
                response.status_code = status
        return response

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:  # type: ignore[override]
        data = self._process_result(result, i18n.negotiate(request.headers.get("accept-language")))
        # The GraphQL-over-HTTP media type: a request error is a 400 without "data".
        if GRAPHQL_RESPONSE_JSON in request.headers.get("accept", ""):
            errors = data.get("errors") or []
            codes = {(e.get("extensions") or {}).get("code") for e in errors}
            before_execution = not any(e.get("path") for e in errors)
            if data.get("data") is None and codes and codes <= (
                REQUEST_ERRORS_BEFORE_EXECUTION if before_execution else REQUEST_ERRORS
            ):
                data.pop("data", None)
                _response_shape.set((GRAPHQL_RESPONSE_JSON, 400))
            else:
                _response_shape.set((GRAPHQL_RESPONSE_JSON, 200))
        else:
            _response_shape.set(None)
        return data

    def _process_result(self, result: ExecutionResult, language: str = i18n.DEFAULT) -> GraphQLHTTPResponse:
        data = process_result(result)
        if language != i18n.DEFAULT:
            translate_response(data, result, language)
        for error in data.get("errors") or []:
            extensions = error.setdefault("extensions", {}) or {}
            if "code" not in extensions:
                code = error_code(error.get("message", ""), data.get("data") is not None)
                extensions["code"] = code
                if code in LIMITS:
                    extensions["limit"] = LIMITS[code]
                error["extensions"] = extensions
            if extensions.get("code") in CLIENT_CODES:
                extensions.setdefault("classification", "BAD_REQUEST")
        return data

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        state = request.app.state
        viewer: Viewer = request.scope.get(VIEWER, ANONYMOUS)
        return Context(request=request, response=response, settings=state.settings,
                       sessions=state.sessions, read_sessions=state.read_sessions, replica=state.replica, viewer=viewer,
                       language=i18n.negotiate(request.headers.get("accept-language")))


def unauthenticated(message: Text, language: str, status: int = 401) -> JSONResponse:
    """A refused credential (401), or too many refused ones (429), said in ``language``."""
    return JSONResponse(
        {"errors": [{"message": i18n.translate(message, language), "extensions": {"code": "UNAUTHENTICATED"}}]},
        status_code=status,
        headers={"WWW-Authenticate": 'Bearer realm="qonys"'} if status == 401 else None,
    )


def too_large(limit: int, language: str) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": i18n.translate(t("request body exceeds the limit of {limit} bytes", limit=limit),
                                               language),
                     "extensions": {"code": "REQUEST_TOO_LARGE", "limit": "body"}}]},
        status_code=413,
    )


def json_error(message: str, code: str, status: int, **extra: Any) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code, **extra}}]}, status_code=status)
