"""The admin panel's login (AdminAccount, argon2), its session and who may do what.

The session (a signed cookie, ``same_site="strict"``) carries the account id,
username, role, the time of login and a fingerprint of the password (so that a
password reset ends the account's sessions); a session older than
``settings.admin_session_max_age`` is refused, and every request re-reads the
account so that a deactivated account or a changed role takes effect at once.
Auditors (``AdminRole.AUDITOR``) may only read: the authorization backend
allows them ``list``, ``details`` and ``export`` and nothing else.
"""

from __future__ import annotations

import hmac
import time
from typing import Any

import structlog
from sqladmin.authentication import AuthenticationBackend
from sqladmin.authorization import Action, AuthorizationBackend
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.middleware import Middleware

from admin.i18n import LanguageMiddleware
from starlette.requests import Request
from starlette.responses import Response

from core.settings import Settings
from models import AdminAccount
from core.db import transaction
from models.enums import AdminRole
from services import audit
from services.auth import login_admin, session_fingerprint
from services.throttle import Throttle
from services.viewer import ADMIN_PANEL_ROLE, Viewer

log = structlog.get_logger("qonys.admin")

SESSION_COOKIE = "qonys_admin"
READ_ACTIONS = frozenset({Action.LIST.value, Action.DETAILS.value, Action.EXPORT.value})
_KEYS = ("admin_id", "username", "role", "login_at", "fingerprint")


def session_role(request: Request) -> str | None:
    if "session" not in request.scope:
        return None
    return request.session.get("role")


def is_read_only(request: Request) -> bool:
    """True unless the request comes from a logged-in ADMINISTRATOR."""
    return session_role(request) != AdminRole.ADMINISTRATOR.value


def viewer_for(request: Request) -> Viewer:
    """The Viewer every service call made from the panel runs as."""
    username = request.session.get("username") if "session" in request.scope else None
    return Viewer(subject=f"admin:{username or 'unknown'}", role=ADMIN_PANEL_ROLE, read_only=is_read_only(request))


class AdminAuth(AuthenticationBackend):
    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession], throttle: Throttle,
                 base_url: str = "/admin") -> None:
        super().__init__(
            secret_key=settings.secret_key,
            session_cookie=SESSION_COOKIE,
            path=base_url,
            max_age=settings.admin_session_max_age,
            same_site="strict",
            https_only=settings.production,
        )
        self.middlewares.append(Middleware(LanguageMiddleware))  # inside the session: the language is kept there
        self.sessions = sessions
        self.secret = settings.secret_key
        self.max_age = settings.admin_session_max_age
        self.throttle = throttle  # failed logins per address, counted over every process

    @staticmethod
    def _client(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    async def login(self, request: Request) -> Response | bool:
        form = await request.form()
        username = str(form.get("username") or "").strip()
        password = str(form.get("password") or "")
        client = self._client(request)
        request.session.clear()
        if not username or not password:
            await self.throttle.failed(client)
            return False
        if await self.throttle.refused(client):
            return False
        async with transaction(self.sessions) as session:
            attempt = await login_admin(session, username, password, address=client)
        account = attempt.account
        if account is None:
            await self.throttle.failed(client)
            log.info("admin.login_failed", username=username, client=client, locked=attempt.locked_until is not None)
            request.state.login_error = attempt.message
            return False
        request.session.update({
            "admin_id": account.id,
            "username": account.username,
            "role": account.role.value,
            "login_at": int(time.time()),
            "fingerprint": session_fingerprint(account, self.secret),
        })
        return True

    async def logout(self, request: Request) -> Response | bool:
        if request.session.get("admin_id"):
            async with transaction(self.sessions) as session:
                await audit.record(session, viewer_for(request), "admin.logout", "admin_account",
                                   request.session.get("admin_id"), {})
        request.session.clear()
        return False  # back to the login page

    async def authenticate(self, request: Request) -> Response | bool:
        data: dict[str, Any] = request.session
        if not all(k in data for k in _KEYS):
            return False
        try:
            login_at = int(data["login_at"])
        except (TypeError, ValueError):
            request.session.clear()
            return False
        if time.time() - login_at > self.max_age:
            request.session.clear()
            return False
        async with self.sessions() as session:
            account = await session.get(AdminAccount, data["admin_id"])
        if (account is None or not account.active or account.username != data["username"]
                or not hmac.compare_digest(str(data["fingerprint"]), session_fingerprint(account, self.secret))):
            request.session.clear()
            return False
        if account.role.value != data["role"]:
            request.session["role"] = account.role.value
        return True


class RoleAuthorization(AuthorizationBackend):
    """Administrators may do everything the views allow; auditors only read."""

    def has_permission(self, request: Request, identity: str, action: str, obj: Any | None = None) -> bool:
        role = session_role(request)
        if role == AdminRole.ADMINISTRATOR.value:
            return True
        if role == AdminRole.AUDITOR.value:
            return str(action) in READ_ACTIONS
        return False
