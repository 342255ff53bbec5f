"""Authentication: JWTs for people, hashed API keys for partner agencies, argon2
passwords for admin-panel accounts."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from collections.abc import Iterable
from typing import Any, NamedTuple

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import false as sa_false
from sqlalchemy import func, literal, or_, select, update
from sqlalchemy import true as sa_true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core.readpool import ReadPool
from core.settings import Settings
from core.text import t
from models import AdminAccount, Agency, AgencyApiKey, AgencyGrant, AuditEvent, CheckType, CheckTypeGrant
from models.base import ALMATY, utcnow, wall_clock
from models.enums import AdminRole, Role
from services import audit
from services.throttle import failure_count_sql
from services.errors import ErrorCode, ServiceError, forbidden, invalid, not_found
from services.viewer import ADMIN_PANEL_ROLE, AGENCY_ROLE, ANONYMOUS_ROLE, Viewer

API_KEY_PREFIX = "qk_"
_PASSWORDS = PasswordHasher()


class AuthenticationError(Exception):
    """The credentials were given but are not valid. Never treated as anonymous."""


def _require_admin(viewer: Viewer) -> None:
    """Keys and accounts are made and revoked by administrators: the admin panel's,
    or the operator's command line (``SYSTEM``)."""
    if not viewer.is_admin:
        raise forbidden(t("only administrators may manage API keys and admin accounts"))


# ---------------------------------------------------------------- JWT


def mint_token(settings: Settings, *, subject: str, role: str, ttl_minutes: int | None = None) -> str:
    if role not in Role.__members__:
        raise ValueError(f"role must be one of {', '.join(Role.__members__)}")
    if not subject.strip():
        raise ValueError("subject must not be empty")
    ttl = settings.token_ttl_minutes if ttl_minutes is None else ttl_minutes
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0:
        raise ValueError(f"the token's lifetime must be a whole number of minutes of at least 1, not {ttl!r}")
    now = wall_clock()  # the verifier checks "exp" against the real clock, whatever "today" is pinned to
    claims: dict[str, Any] = {
        "sub": subject,
        "role": role,
        "iat": now,
        "exp": now + dt.timedelta(minutes=ttl),
    }
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    return jwt.encode(claims, settings.secret_key, algorithm="HS256")


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=5)


def _signing_key(settings: Settings, token: str) -> Any:
    if settings.jwks_url:
        return _jwks_client(settings.jwks_url).get_signing_key_from_jwt(token).key
    return settings.secret_key


def verify_token_sync(settings: Settings, token: str) -> Viewer:
    return _verify(settings, token)[0]


def _verify(settings: Settings, token: str) -> tuple[Viewer, float]:
    """The token's viewer and expiry (seconds since the epoch)."""
    try:
        key = _signing_key(settings, token)
        algorithms = settings.jwt_algorithms if settings.jwks_url else ["HS256"]
        claims = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise AuthenticationError(t("the token has expired")) from None
    except jwt.PyJWKClientError:
        raise AuthenticationError(t("the identity provider's keys could not be fetched")) from None
    except jwt.InvalidTokenError:
        raise AuthenticationError(t("the token is not valid")) from None
    role = claims.get("role")
    subject = claims.get("sub")
    if role not in Role.__members__:
        raise AuthenticationError(t("the token carries no valid role"))
    if not isinstance(subject, str) or not subject.strip():
        raise AuthenticationError(t("the token carries no subject"))
    return Viewer(subject=subject, role=role), float(claims["exp"])


class _VerifiedTokens:
    """Tokens already verified, with their viewer and expiry: a client sends the same
    token with every request, and checking its signature again each time is a
    good part of a small request's CPU. Only the expiry can turn a verified token
    invalid (``nbf``/``iat`` were already in the past), so a hit re-checks just
    that. Bounded LRU, per process and per signing configuration."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[Any, ...], tuple[Viewer, float]] = OrderedDict()

    @staticmethod
    def key(settings: Settings, token: str) -> tuple[Any, ...]:
        return (token, settings.secret_key, settings.jwks_url, settings.jwt_audience, settings.jwt_issuer,
                tuple(settings.jwt_algorithms))

    def get(self, key: tuple[Any, ...]) -> Viewer | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        viewer, expires = entry
        if time.time() >= expires:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return viewer

    def put(self, key: tuple[Any, ...], viewer: Viewer, expires: float) -> None:
        self._entries[key] = (viewer, expires)
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)


_VERIFIED = _VerifiedTokens()


async def verify_token(settings: Settings, token: str) -> Viewer:
    key = _VERIFIED.key(settings, token)
    viewer = _VERIFIED.get(key)
    if viewer is not None:
        return viewer
    if settings.jwks_url:  # the JWKS fetch is blocking I/O
        viewer, expires = await asyncio.to_thread(_verify, settings, token)
    else:
        viewer, expires = _verify(settings, token)
    _VERIFIED.put(key, viewer, expires)
    return viewer


# ---------------------------------------------------------------- agency API keys
# Keys are 256 random bits, so a fast hash (SHA-256) is as safe as a slow KDF here
# and keeps every request cheap; passwords, which people choose, use argon2.


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def looks_like_api_key(token: str) -> bool:
    return token.startswith(API_KEY_PREFIX)


async def create_agency_key(
    session: AsyncSession, viewer: Viewer, agency_code: str, label: str | None = None
) -> tuple[AgencyApiKey, str]:
    _require_admin(viewer)
    agency = (await session.execute(select(Agency).where(Agency.code == agency_code))).scalar_one_or_none()
    if agency is None:
        raise not_found(t("agency {code}", code=repr(agency_code)), "agencyCode")
    if not agency.active:
        raise invalid(t("agency {code} is not active", code=agency_code), "agencyCode")
    prefix = secrets.token_hex(4)
    key = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    row = AgencyApiKey(agency_id=agency.id, prefix=prefix, key_hash=_hash_key(key), label=label)
    session.add(row)
    await session.flush()
    await audit.record(session, viewer, "agency_key.create", "agency_api_key", row.id, {"agency": agency_code, "prefix": prefix})
    return row, key


async def revoke_agency_key(session: AsyncSession, viewer: Viewer, prefix: str) -> AgencyApiKey:
    _require_admin(viewer)
    row = (await session.execute(select(AgencyApiKey).where(AgencyApiKey.prefix == prefix))).scalar_one_or_none()
    if row is None:
        raise not_found(t("API key {prefix}", prefix=repr(prefix)), "prefix")
    if row.revoked_at is not None:
        raise ServiceError.one(ErrorCode.INVALID_STATE, t("the key is already revoked"), ["prefix"])
    row.revoked_at = utcnow()
    await audit.record(session, viewer, "agency_key.revoke", "agency_api_key", row.id, {"prefix": prefix})
    return row


# ``last_used_at`` is kept to this resolution: a key used all day costs one write a
# minute, not one per request (the feed is read in tight loops).
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class KeyCheck(NamedTuple):
    viewer: Viewer
    touch: int | None  # the key's id when its ``last_used_at`` is due to be refreshed
    failures: int  # the value of the ``failures`` column asked for, else 0


_NOT_VALID = t("the API key is not valid")


def _key_prefix(key: str) -> str:
    parts = key[len(API_KEY_PREFIX):].split("_", 1)
    if len(parts) != 2:
        raise AuthenticationError(_NOT_VALID)
    return parts[0]


def _key_matches(row: Any, key: str) -> bool:
    return row is not None and hmac.compare_digest(row[1], _hash_key(key))


def _key_check(row: Any, key: str, owned: Iterable[int], granted: Iterable[int], grants: Iterable[str]) -> KeyCheck:
    """The verdict on a key's row (id, hash, revoked_at, last_used_at, agency id,
    code, active, failures) and the agency's check types and grants: both ways
    of reading them (``verify_agency_key``, ``verify_agency_key_pooled``) end here."""
    if not _key_matches(row, key):
        raise AuthenticationError(_NOT_VALID)
    key_id, _, revoked_at, last_used_at, agency_id, agency_code, agency_active, failed = row[:8]
    if revoked_at is not None:
        raise AuthenticationError(t("the API key has been revoked"))
    if not agency_active:
        raise AuthenticationError(t("the API key's agency is not active"))
    due = last_used_at is None or utcnow() - last_used_at >= LAST_USED_RESOLUTION
    return KeyCheck(_agency(agency_id, agency_code, owned, granted, grants), key_id if due else None, failed)


def _agency(agency_id: int, agency_code: str, owned: Iterable[int], granted: Iterable[int],
            grants: Iterable[str]) -> Viewer:
    """The viewer an agency's key stands for: the check types it owns, those it may
    read (owned or granted, ``CheckTypeGrant``), and its grants (``AgencyGrant``)."""
    owned = frozenset(owned)
    return Viewer(subject=f"agency:{agency_code}", role=AGENCY_ROLE, agency_id=agency_id, agency_code=agency_code,
                  owned_check_type_ids=owned, readable_check_type_ids=owned | frozenset(granted),
                  grants=frozenset(grants))


async def verify_agency_key(session: AsyncSession, key: str,
                            failures: ColumnElement[int] | None = None) -> KeyCheck:
    """The agency a key stands for, read in three SELECTs and written nothing.
    Also the key's id when its ``last_used_at`` is due to be refreshed
    (``touch_agency_key``), and the value of ``failures`` (a scalar subquery: the
    caller's failed authentications, ``services.throttle``), read by the key's
    own SELECT."""
    row = (await session.execute(
        select(AgencyApiKey.id, AgencyApiKey.key_hash, AgencyApiKey.revoked_at, AgencyApiKey.last_used_at,
               Agency.id, Agency.code, Agency.active, failures if failures is not None else literal(0))
        .join(Agency, Agency.id == AgencyApiKey.agency_id)
        .where(AgencyApiKey.prefix == _key_prefix(key))
    )).one_or_none()
    if not _key_matches(row, key):  # refused before the agency is read
        raise AuthenticationError(_NOT_VALID)
    owned, granted, grants = await _agency_reads(session, row[4])
    return _key_check(row, key, owned, granted, grants)


# ``verify_agency_key`` as one statement, for PostgreSQL's read pool (core.readpool):
# no transaction, no pool pre-ping, one round trip instead of three SELECTs and the
# SQLAlchemy session around them (the agencies' feed, workload 2 of the bench: the
# key's check was a quarter of the server's time a request). The same rows in the
# same order; tests/services/test_auth.py compares the two for every kind of key.
# $2–$4: ``services.throttle.Throttle.count_args`` (the caller's failed authentications).
_KEY_SQL = f"""SELECT k.id, k.key_hash, k.revoked_at, k.last_used_at, a.id, a.code, a.active,
  ({failure_count_sql(2)}),
  ARRAY(SELECT c.id FROM check_type c WHERE c.agency_id = a.id),
  ARRAY(SELECT g.check_type_id FROM check_type_grant g WHERE g.agency_id = a.id),
  ARRAY(SELECT g.kind FROM agency_grant g WHERE g.agency_id = a.id)
FROM agency_api_key k JOIN agency a ON a.id = k.agency_id WHERE k.prefix = $1"""


async def verify_agency_key_pooled(pool: ReadPool, key: str, count_args: list[Any]) -> KeyCheck:
    """``verify_agency_key`` on PostgreSQL, in one statement on ``pool``."""
    row = await pool.fetchrow(_KEY_SQL, [_key_prefix(key), *count_args])
    return _key_check(row, key, *(row[8:11] if row is not None else ((), (), ())))


async def _agency_reads(session: AsyncSession, agency_id: int) -> tuple[list[int], list[int], list[str]]:
    """The check types an agency owns, those granted to it, and its grants."""
    types = (await session.execute(
        select(CheckType.id, sa_true()).where(CheckType.agency_id == agency_id)
        .union_all(select(CheckTypeGrant.check_type_id, sa_false()).where(CheckTypeGrant.agency_id == agency_id))
    )).all()
    grants = (await session.execute(select(AgencyGrant.kind).where(AgencyGrant.agency_id == agency_id))).scalars()
    return [t for t, is_owner in types if is_owner], [t for t, is_owner in types if not is_owner], \
        [g.value for g in grants]


async def agency_viewer(session: AsyncSession, agency_id: int, agency_code: str) -> Viewer:
    """The viewer an agency's key stands for (``_agency``), read from the database."""
    return _agency(agency_id, agency_code, *await _agency_reads(session, agency_id))


async def touch_agency_key(session: AsyncSession, key_id: int) -> None:
    """Record that the key was used (at most once per ``LAST_USED_RESOLUTION``,
    whichever process gets there first)."""
    now = utcnow()
    await session.execute(
        update(AgencyApiKey)
        .where(AgencyApiKey.id == key_id,
               or_(AgencyApiKey.last_used_at.is_(None), AgencyApiKey.last_used_at <= now - LAST_USED_RESOLUTION))
        .values(last_used_at=now))


# ---------------------------------------------------------------- admin accounts


def hash_password(password: str) -> str:
    return _PASSWORDS.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _PASSWORDS.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def create_admin_account(
    session: AsyncSession, viewer: Viewer, username: str, password: str, role: AdminRole = AdminRole.ADMINISTRATOR
) -> AdminAccount:
    _require_admin(viewer)
    username = username.strip()
    if not (3 <= len(username) <= 80) or not all(c.isalnum() or c in "._-@" for c in username):
        raise invalid(t("username must be 3–80 letters, digits or . _ - @"), "username")
    if len(password) < 12:
        raise invalid(t("password must be at least 12 characters"), "password")
    exists = (await session.execute(select(AdminAccount.id).where(AdminAccount.username == username))).first()
    if exists:
        raise ServiceError.one(ErrorCode.DUPLICATE, t("an account named {username} already exists", username=username),
                               ["username"])
    account = AdminAccount(username=username, password_hash=hash_password(password), role=role)
    session.add(account)
    await session.flush()
    await audit.record(session, viewer, "admin_account.create", "admin_account", account.id, {"username": username, "role": role})
    return account


def _require_account_manager(viewer: Viewer) -> None:
    if not viewer.is_admin:
        raise forbidden(t("only an administrator (or the qonys command) manages admin accounts"))


async def list_admin_accounts(session: AsyncSession, viewer: Viewer) -> list[AdminAccount]:
    """Every admin panel account, by username (never the password hash's use outside this module)."""
    _require_account_manager(viewer)
    return list((await session.execute(select(AdminAccount).order_by(AdminAccount.username))).scalars().all())


async def _account(session: AsyncSession, username: str) -> AdminAccount:
    account = (await session.execute(
        select(AdminAccount).where(AdminAccount.username == username.strip()).with_for_update()
    )).scalar_one_or_none()
    if account is None:
        raise not_found(t("admin account {username}", username=repr(username.strip())), "username")
    return account


async def reset_admin_password(session: AsyncSession, viewer: Viewer, username: str, password: str) -> AdminAccount:
    """A new password; the account's open panel sessions end (``session_fingerprint`` changes)."""
    _require_account_manager(viewer)
    if len(password) < 12:
        raise invalid(t("password must be at least 12 characters"), "password")
    account = await _account(session, username)
    account.password_hash = hash_password(password)
    await audit.record(session, viewer, "admin_account.reset_password", "admin_account", account.id,
                       {"username": account.username})
    return account


async def set_admin_account_active(session: AsyncSession, viewer: Viewer, username: str, active: bool) -> AdminAccount:
    """Disable (or enable again) an account: a disabled account cannot log in, and its
    open panel sessions end at their next request (admin/auth.py re-reads the account)."""
    _require_account_manager(viewer)
    account = await _account(session, username)
    if account.active == active:
        message = (t("the account {username} is already enabled", username=account.username) if active
                   else t("the account {username} is already disabled", username=account.username))
        raise ServiceError.one(ErrorCode.INVALID_STATE, message, ["username"])
    account.active = active
    await audit.record(session, viewer, "admin_account.enable" if active else "admin_account.disable",
                       "admin_account", account.id, {"username": account.username, "active": [not active, active]})
    return account


def session_fingerprint(account: AdminAccount, secret: str) -> str:
    """Kept in the panel's session: it changes with the password, so a reset ends old sessions."""
    return hmac.new(secret.encode(), account.password_hash.encode(), hashlib.sha256).hexdigest()[:16]


async def authenticate_admin(session: AsyncSession, username: str, password: str) -> AdminAccount | None:
    account = (await session.execute(select(AdminAccount).where(AdminAccount.username == username))).scalar_one_or_none()
    if account is None:
        _PASSWORDS.hash(password)  # same work whether or not the account exists
        return None
    if not account.active or not password_matches(account.password_hash, password):
        return None
    account.last_login_at = utcnow()
    return account


# ---------------------------------------------------------------- admin login, audited, with a lockout
# Every attempt is audited with the address it came from. After LOCKOUT_FAILURES
# failed attempts within LOCKOUT_WINDOW an account is locked for LOCKOUT_FOR (the
# audit trail says so): while locked even the right password is refused. The
# trail itself is the record (no table of its own): failures are counted from
# the later of the window's start and the last lock.

LOCKOUT_FAILURES = 5
LOCKOUT_WINDOW = dt.timedelta(minutes=15)
LOCKOUT_FOR = dt.timedelta(minutes=15)
LOGIN_FAILED = "admin.login_failed"
LOGIN_LOCKED = "admin.locked"
LOGIN_REFUSED_LOCKED = "admin.login_refused_locked"


@dataclass(frozen=True)
class AdminLogin:
    """The outcome of a login attempt: the account when it succeeded, else why not."""

    account: AdminAccount | None
    locked_until: dt.datetime | None = None

    @property
    def message(self) -> str:
        if self.account is not None:
            return ""
        if self.locked_until is not None:
            return t("Too many failed logins: this account is locked until {until}.",
                     until=self.locked_until.astimezone(ALMATY).strftime("%H:%M"))
        return t("Invalid credentials.")


def _attempt_viewer(address: str) -> Viewer:
    return Viewer(subject=f"anonymous@{address}", role=ANONYMOUS_ROLE)


async def _last_lock(session: AsyncSession, account_id: int) -> dt.datetime | None:
    return (await session.execute(
        select(func.max(AuditEvent.at)).where(AuditEvent.action == LOGIN_LOCKED,
                                              AuditEvent.entity_type == "admin_account",
                                              AuditEvent.entity_id == account_id))).scalar_one()


async def _record_at(now: dt.datetime, session: AsyncSession, *args: Any) -> None:
    """An audit event of a login attempt, at the attempt's time (the lock's end is counted from it)."""
    event = await audit.record(session, *args)
    event.at = now


async def lock_state(session: AsyncSession, account_id: int, now: dt.datetime | None = None) -> dt.datetime | None:
    """Until when the account is locked, or None when it is not."""
    now = now or utcnow()
    locked_at = await _last_lock(session, account_id)
    if locked_at is not None and locked_at + LOCKOUT_FOR > now:
        return locked_at + LOCKOUT_FOR
    return None


async def login_admin(session: AsyncSession, username: str, password: str, *, address: str,
                      now: dt.datetime | None = None) -> AdminLogin:
    """One login attempt at the admin panel from ``address``, audited whatever its outcome."""
    now = now or utcnow()
    attempt = _attempt_viewer(address)
    account = (await session.execute(select(AdminAccount).where(AdminAccount.username == username))
               ).scalar_one_or_none()
    if account is not None:
        until = await lock_state(session, account.id, now)
        if until is not None:
            _PASSWORDS.hash(password)  # the same work as a real check
            await _record_at(now, session, attempt, LOGIN_REFUSED_LOCKED, "admin_account", account.id,
                               {"username": username, "address": address, "locked_until": until})
            return AdminLogin(None, until)
    authenticated = await authenticate_admin(session, username, password)
    if authenticated is not None:
        viewer = Viewer(subject=f"admin:{authenticated.username}", role=ADMIN_PANEL_ROLE,
                        read_only=authenticated.role != AdminRole.ADMINISTRATOR)
        await _record_at(now, session, viewer, "admin.login", "admin_account", authenticated.id, {"address": address})
        return AdminLogin(authenticated)
    await _record_at(now, session, attempt, LOGIN_FAILED, "admin_account", account.id if account else None,
                       {"username": username, "address": address})
    if account is None:
        return AdminLogin(None)
    await session.flush()
    since = now - LOCKOUT_WINDOW
    locked_at = await _last_lock(session, account.id)
    failures = (await session.execute(
        select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == LOGIN_FAILED, AuditEvent.entity_type == "admin_account",
            AuditEvent.entity_id == account.id, AuditEvent.at > since,
            *([AuditEvent.at > locked_at] if locked_at is not None else [])))).scalar_one()
    if failures >= LOCKOUT_FAILURES:
        until = now + LOCKOUT_FOR
        await _record_at(now, session, attempt, LOGIN_LOCKED, "admin_account", account.id,
                           {"username": username, "address": address, "failures": failures, "locked_until": until})
        return AdminLogin(None, until)
    return AdminLogin(None)
