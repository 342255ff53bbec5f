"""The shape of the app's ASGI middleware: each sees HTTP requests only; any
other scope (the lifespan) passes through untouched. And the one way they add
headers to a response."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HttpMiddleware:
    """Subclasses write ``handle``, called for HTTP requests only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


def adding_headers(send: Send, headers: list[tuple[bytes, bytes]]) -> Send:
    """``send`` that adds ``headers`` to the response's, but those it sets itself."""

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            own = list(message.get("headers", []))
            present = {name.lower() for name, _ in own}
            message = {**message, "headers": own + [(n, v) for n, v in headers if n not in present]}
        await send(message)

    return send_with_headers
