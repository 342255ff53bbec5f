"""Mounts the admin panel (SQLAdmin) at /admin on the Starlette application, built on
its first use (``Panel``)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqladmin import Admin
from sqladmin.authentication import login_required
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.responses import RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from admin.auth import AdminAuth, RoleAuthorization
from admin.base import human
from admin.csrf import SameOriginGuard
from admin import i18n as admin_i18n
from admin.dashboard import DashboardView
from admin.views import ALL_VIEWS
from core.settings import Settings
from services.throttle import ADMIN, Throttle

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


class QonysAdmin(Admin):
    @staticmethod
    def _find_decorated_funcs(view: type[Any], view_instance: Any, handle_fn: Callable[[Any, type[Any], Any], None]
                              ) -> None:
        """SQLAdmin's, without reading every attribute of each view: it handed every
        bound method of the view (``inspect.getmembers``, which evaluates each property
        too) to ``handle_fn``, which registers those ``@action`` and ``@expose`` marked
        and ignores the rest; that was four fifths of building the panel (~45 ms of
        each app). Here only the marked methods, found on the classes without
        evaluating anything, reach ``handle_fn``, in SQLAdmin's order (by definition
        line, last first; ties by name), so the routes and actions are the same."""
        found: dict[str, Any] = {}
        for klass in reversed(type(view_instance).__mro__):
            found.update(vars(klass))
        found.update(getattr(view_instance, "__dict__", {}))
        marked = []
        for name in sorted(found):
            function = getattr(found[name], "__func__", found[name])  # classmethod, staticmethod
            if callable(function) and (hasattr(function, "_action") or hasattr(function, "_exposed")):
                member = getattr(view_instance, name)
                if inspect.ismethod(member):
                    marked.append((name, member))
        for _, func in sorted(marked, key=lambda x: inspect.unwrap(x[1]).__code__.co_firstlineno, reverse=True):
            handle_fn(func, view, view_instance)

    @login_required
    async def index(self, request: Request) -> Response:
        return RedirectResponse(request.url_for("admin:view-dashboard"), status_code=302)

    async def login(self, request: Request) -> Response:
        response = await super().login(request)
        message = getattr(request.state, "login_error", None)  # the service's reason (a lock says until when)
        if response.status_code == 400 and message:
            return await self.templates.TemplateResponse(request, "sqladmin/login.html", {"error": message},
                                                         status_code=400)
        return response


class Panel:
    """What ``mount_admin`` mounts at /admin: the panel's ASGI app (SQLAdmin's), built
    on first use, the first request below /admin or the first URL asked of it
    (``url_for("admin:…")``, which reads ``routes``), rather than with the
    application. Building it (views, routes, templates: ~20 ms) was a fifth of an
    ordinary database test, paid by every app, and by every worker process on
    start, whether or not it serves /admin. The build has no ``await``: requests that
    arrive together build it once."""

    def __init__(self, build: Callable[[], Starlette]) -> None:
        self._build = build
        self._app: Starlette | None = None

    @property
    def built(self) -> bool:
        return self._app is not None

    @property
    def app(self) -> Starlette:
        if self._app is None:
            self._app = self._build()
        return self._app

    @property
    def routes(self) -> list[BaseRoute]:
        return self.app.routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def mount_admin(app: Starlette, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession],
                settings: Settings) -> Panel:
    """Mounts the panel at /admin (the last route), built on first use (``Panel``);
    from then on ``app.state.admin`` is its ``QonysAdmin``."""

    def build() -> Starlette:
        admin = build_admin(engine, sessions, settings)
        app.state.admin = admin
        return admin.admin

    panel = Panel(build)
    app.mount("/admin", app=panel, name="admin")
    return panel


def build_admin(engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], settings: Settings) -> QonysAdmin:
    # SQLAdmin reconfigures the session maker it is given; give it its own for
    # its reads and keep the application's for the audited writes.
    read_sessions = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
    admin = QonysAdmin(
        Starlette(),  # SQLAdmin mounts its app on the one it is given: mount_admin mounts it on ours
        session_maker=read_sessions,
        base_url="/admin",
        title="Qonys administration",
        templates_dir=str(TEMPLATES),
        middlewares=[Middleware(SameOriginGuard)],
        authentication_backend=AdminAuth(settings, sessions, Throttle(ADMIN, engine, settings)),
        authorization_backend=RoleAuthorization(),
    )
    admin.templates.env.filters["human"] = human
    # The panel's own stylesheet and scripts (never a CDN), beside SQLAdmin's statics.
    admin.admin.router.routes.insert(0, Mount("/qonys-static", app=StaticFiles(directory=STATIC), name="qonys-static"))
    # SQLAdmin stores its state on the view classes, so each mounted panel gets
    # its own subclasses (several apps in one process — the tests — stay apart).
    for view in (DashboardView, *ALL_VIEWS):
        attrs: dict[str, Any] = {"sessions": sessions, "settings": settings, "__module__": view.__module__}
        admin.add_view(type(view.__name__, (view,), attrs))
    admin_i18n.install(admin)
    return admin
