"""Mounts the admin panel (SQLAdmin) at /admin on the Starlette application."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqladmin import Admin
from sqladmin.authentication import login_required
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.responses import RedirectResponse, Response

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


def mount_admin(app: Starlette, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession],
                settings: Settings) -> QonysAdmin:
    # SQLAdmin reconfigures the session maker it is given; give it its own for
    # its reads and keep the application's for the audited writes.
    read_sessions = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
    admin = QonysAdmin(
        app,
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
    app.state.admin = admin
    return admin
