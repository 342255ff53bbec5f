"""Support for the browser tests: a live server for the app under test, the
headless Chromium they drive (Debian's ``chromium`` package, never a
downloaded browser) and a watch on what goes wrong inside a page.

The browser is Chromium at ``/usr/bin/chromium`` (``apt-get install chromium``),
driven by Playwright's Python package, whose driver ships inside the wheel —
``playwright install`` is never run. Where the browser (or Playwright) is
missing the browser tests are skipped, except in CI (``CI=true``), where they
fail: CI must run them."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("QONYS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
VIEWPORT = {"width": 1440, "height": 900}


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError as exc:
        return f"the Playwright package is not installed (pip install -e .[dev]): {exc}"
    return None


def require_browser(in_ci: bool) -> None:
    """Skip without a browser; in CI, fail instead — the browser tests must run there."""
    reason = browser_missing()
    if reason is None:
        return
    if in_ci:
        pytest.fail(f"CI=true but the browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


async def launch_chromium(playwright: Any) -> Any:
    """Headless Chromium with a fresh, temporary profile (``launch`` makes one and deletes it on close)."""
    return await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
                                            chromium_sandbox=False, timeout=30_000)


async def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path


# ------------------------------------------------------------------ the live server


class LiveServer:
    """The app served by uvicorn in a thread (its own event loop) on a free 127.0.0.1 port."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.app = app
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                                timeout_graceful_shutdown=3, ws="none")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       name=f"uvicorn-{self.port}", daemon=True)

    async def start(self, timeout: float = 15.0) -> None:
        self.thread.start()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the test server stopped while starting (see the log above)")
            if loop.time() > deadline:
                raise RuntimeError(f"the test server did not start within {timeout} s")
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        self.server.should_exit = True
        await asyncio.to_thread(self.thread.join, 10)
        self.sock.close()


# ------------------------------------------------------------------ what goes wrong in a page

STATIC_TYPES = frozenset({"stylesheet", "script", "image", "font"})
IGNORED_URLS = re.compile(r"/favicon\.ico$")


@dataclass
class PageWatch:
    """JavaScript errors, console errors, server errors and missing assets seen by a page."""

    problems: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("pageerror", lambda exc: self.problems.append(f"JavaScript error: {exc}"))
        page.on("console", self._console)
        page.on("response", self._response)
        page.on("requestfailed", self._failed)

    def _console(self, msg: Any) -> None:
        # Failed loads are reported (with their URL) by _response and _failed.
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            self.problems.append(f"console error: {msg.text}")

    def _response(self, response: Any) -> None:
        if IGNORED_URLS.search(response.url):
            return
        if response.status >= 500:
            self.problems.append(f"server error {response.status} for {response.url}")
        elif response.status >= 400 and response.request.resource_type in STATIC_TYPES:
            self.problems.append(f"missing asset ({response.status}): {response.url}")

    def _failed(self, request: Any) -> None:
        if not IGNORED_URLS.search(request.url):
            self.problems.append(f"request failed: {request.url} ({request.failure})")

    def take(self) -> list[str]:
        problems, self.problems = self.problems, []
        return problems
