"""What every response says about itself, and who may scrape /metrics (issue 19).

``SecurityHeaders`` adds to every HTTP response (API, admin panel, /healthz,
/metrics) a Content-Security-Policy that allows the page's own scripts, styles,
fonts and images only and no framing (``frame-ancestors 'none'``, with
``X-Frame-Options: DENY`` for older browsers), ``X-Content-Type-Options:
nosniff``, ``Referrer-Policy: no-referrer``, and in production
``Strict-Transport-Security``. Two exceptions, each as narrow as it can be:
sqladmin's one inline script (the flash toasts) is allowed by its hash, and in
development the GraphiQL page (/graphql, off in production) may run its inline
bootstrap script.

``guarded_metrics`` wraps the /metrics endpoint: with ``QONYS_METRICS_TOKEN``
set, a scrape must send ``Authorization: Bearer <token>`` (compared in constant
time; 401 otherwise); without it, /metrics is open in development and answers
404 in production."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import sqladmin
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from core.asgi import adding_headers
from core.settings import Settings

HSTS = "max-age=63072000; includeSubDomains"


def _inline_script_hashes(template: Path) -> list[str]:
    """CSP sources (``'sha256-…'``) of the inline scripts of an installed template."""
    scripts = re.findall(r"<script>(.*?)</script>", template.read_text(encoding="utf-8"), flags=re.S)
    return [f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in scripts]


SQLADMIN_FLASH = Path(sqladmin.__file__).resolve().parent / "templates" / "sqladmin" / "flash.html"


def content_security_policy(*script_sources: str) -> str:
    return "; ".join([
        "default-src 'self'",
        " ".join(["script-src 'self'", *script_sources]),
        "style-src 'self' 'unsafe-inline'",  # the dashboard's bars are sized by style attributes
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def security_headers(production: bool, *, graphql: bool = False) -> list[tuple[bytes, bytes]]:
    """The headers of every response; ``graphql``: of /graphql, which serves GraphiQL
    outside production (its page boots with an inline script)."""
    inline = graphql and not production
    policy = content_security_policy("'unsafe-inline'") if inline else content_security_policy(
        *_inline_script_hashes(SQLADMIN_FLASH))
    headers = [
        (b"content-security-policy", policy.encode()),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
    ]
    if production:
        headers.append((b"strict-transport-security", HSTS.encode()))
    return headers


class SecurityHeaders:
    """Adds the security headers to every HTTP response that does not set its own."""

    def __init__(self, app: ASGIApp, production: bool) -> None:
        self.app = app
        self.headers = security_headers(production)
        # GraphiQL (development only): its page boots with an inline script.
        self.graphiql_headers = None if production else security_headers(production, graphql=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.graphiql_headers if self.graphiql_headers and scope["path"] == "/graphql" else self.headers
        await self.app(scope, receive, adding_headers(send, extra))


Endpoint = Callable[[Request], Awaitable[Response]]


def guarded_metrics(endpoint: Endpoint, settings: Settings) -> Endpoint:
    """``endpoint`` (/metrics) behind ``QONYS_METRICS_TOKEN`` (see the module's doc)."""
    token = settings.metrics_token
    if not token:
        if not settings.production:
            return endpoint

        async def hidden(request: Request) -> Response:
            return PlainTextResponse("Not Found", status_code=404)

        return hidden
    expected = f"Bearer {token}".encode()

    async def guarded(request: Request) -> Response:
        sent = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(sent, expected):
            return PlainTextResponse("Unauthorized", status_code=401, headers={"WWW-Authenticate": "Bearer"})
        return await endpoint(request)

    return guarded
