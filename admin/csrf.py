"""Cross-site request refusal for the admin panel.

SQLAdmin's forms carry no CSRF token and its actions are GET routes, so every
request that may change data — any method but GET/HEAD/OPTIONS, and any GET
to an ``/…/action/…`` route — must come from the panel itself:
``Sec-Fetch-Site`` must be ``same-origin`` or ``none`` when the browser sends
it, otherwise ``Origin`` (or, failing that, ``Referer``) must name this host.
The session cookie is also ``SameSite=Strict``; this is the second lock.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ALLOWED_FETCH_SITES = frozenset({"same-origin", "none"})


def changes_data(scope: Scope) -> bool:
    if scope["method"] not in SAFE_METHODS:
        return True
    path = scope.get("path", "")
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root):]
    return "/action/" in path


def same_origin(headers: Headers) -> bool:
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site.strip().lower() in ALLOWED_FETCH_SITES
    host = (headers.get("host") or "").strip().lower()
    for name in ("origin", "referer"):
        value = headers.get(name)
        if value is None:
            continue
        if value.strip().lower() == "null":
            return False
        netloc = urlsplit(value.strip()).netloc.lower()
        return bool(host) and netloc == host
    # Neither browser header: not a browser-driven cross-site request (a browser
    # sends Origin on every cross-site POST); the strict cookie still applies.
    return True


class SameOriginGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and changes_data(scope) and not same_origin(Headers(scope=scope)):
            response = PlainTextResponse(
                "Refused: this request did not come from the admin panel itself (cross-site request).",
                status_code=403,
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
