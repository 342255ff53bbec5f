"""Agencies' webhook endpoints: register (the signing secret is shown once),
disable, delete. An agency manages its own endpoints with its API key;
administrators manage any agency's, naming it.

No server-side request forgery: in production an endpoint is an ``https://``
URL whose host resolves to public addresses only (checked when it is registered
and again before every try, as a name may be re-pointed); outside production
(``QONYS_ENV=development``) plain HTTP and private or loopback addresses are
allowed, for local receivers and tests."""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.text import t
from models import Agency, WebhookDelivery, WebhookEndpoint
from models.base import utcnow
from models.enums import WebhookDeliveryStatus
from services import access, audit
from services.errors import ErrorCollector, forbidden, invalid, invalid_state, not_found
from services.viewer import Viewer
from services.webhooks.catalogue import EventType

URL_MAX = 2000
SECRET_BYTES = 32
MAX_ENDPOINTS = 10  # active endpoints per agency
ID = ("input", "webhookId")


@dataclass(frozen=True)
class Registered:
    """A new endpoint and its signing secret: the only time the secret is shown."""

    endpoint: WebhookEndpoint
    secret: str


def new_secret() -> str:
    """A Standard Webhooks signing secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def url_problem(url: str, *, development: bool) -> str | None:
    """What is wrong with an endpoint URL as written (its addresses aside), or None."""
    if not url or len(url) > URL_MAX:
        return t("The URL must be 1 to {max} characters long.", max=URL_MAX)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return t("This is not a URL.")
    allowed = ("https", "http") if development else ("https",)
    if parts.scheme not in allowed:
        return t("The endpoint must be an https:// URL.")
    if not parts.hostname:
        return t("The URL has no host.")
    if parts.username or parts.password:
        return t("The URL must not carry a user name or password.")
    if parts.fragment:
        return t("The URL must not have a fragment (#…).")
    return None


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def address_problem(url: str, *, development: bool) -> str | None:
    """Outside development: None when the URL's host resolves, and only to public
    addresses; what is wrong otherwise (private, loopback, link-local, reserved)."""
    if development:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return t("The host {host} does not resolve.", host=host)
    addresses = sorted({info[4][0] for info in infos})
    if not addresses:
        return t("The host {host} does not resolve.", host=host)
    private = [a for a in addresses if not _public(a)]
    if private:
        return t("The host {host} resolves to a private, loopback or reserved address ({address}); "
                 "endpoints must be reachable on the public internet.", host=host, address=private[0])
    return None


async def _agency_for(session: AsyncSession, viewer: Viewer, agency_code: str | None) -> int:
    """The agency the endpoint is for: the calling agency's own, or the one an administrator names."""
    if viewer.is_agency:
        if agency_code is not None and agency_code.strip().upper() != (viewer.agency_code or "").upper():
            raise forbidden(t("An agency registers endpoints for itself only."), "input", "agencyCode")
        if viewer.agency_id is None:
            raise forbidden(t("This API key belongs to no agency."))
        return viewer.agency_id
    if not viewer.is_admin:
        raise forbidden(t("Only a partner agency (with its API key) or an administrator may manage webhooks."))
    if agency_code is None or not agency_code.strip():
        raise invalid(t("Name the agency the endpoint is for."), "input", "agencyCode")
    agency_id = (await session.execute(
        select(Agency.id).where(Agency.code == agency_code.strip().upper()))).scalar_one_or_none()
    if agency_id is None:
        raise not_found("agency", "input", "agencyCode")
    return agency_id


def _event_types(events: Sequence[str], errors: ErrorCollector) -> list[str]:
    known = {e.value for e in EventType}
    chosen = [EventType(e).value if isinstance(e, EventType) else str(e) for e in events]
    unknown = sorted(set(chosen) - known)
    if not chosen:
        errors.invalid(t("Choose at least one event type."), "input", "events")
    elif unknown:
        errors.invalid(t("Unknown event types: {types}.", types=", ".join(unknown)), "input", "events")
    return sorted(set(chosen) & known, key=[e.value for e in EventType].index)


async def register_webhook(session: AsyncSession, viewer: Viewer, *, url: str, events: Sequence[str],
                           agency_code: str | None = None, development: bool = False) -> Registered:
    """A new endpoint of the caller's agency (or of ``agency_code``, for an
    administrator) taking ``events``. ``development`` allows plain HTTP and
    private addresses (``QONYS_ENV=development``)."""
    agency_id = await _agency_for(session, viewer, agency_code)
    errors = ErrorCollector()
    url = (url or "").strip()
    problem = url_problem(url, development=development)
    if problem is None:
        problem = await address_problem(url, development=development)
    errors.invalid(problem, "input", "url")
    chosen = _event_types(events, errors)
    errors.raise_if_any()
    active = (await session.execute(
        select(WebhookEndpoint.id).where(WebhookEndpoint.agency_id == agency_id, WebhookEndpoint.active.is_(True),
                                         WebhookEndpoint.deleted_at.is_(None)))).scalars().all()
    if len(active) >= MAX_ENDPOINTS:
        raise invalid_state(t("An agency has at most {max} active endpoints; disable or delete one first.",
                              max=MAX_ENDPOINTS))
    secret = new_secret()
    endpoint = WebhookEndpoint(agency_id=agency_id, url=url, events=chosen, secret=secret, active=True,
                               created_at=utcnow(), created_by=viewer.audit_subject)
    session.add(endpoint)
    await session.flush()
    await audit.record(session, viewer, "webhook.register", "webhook_endpoint", endpoint.id,
                       {"agencyId": agency_id, "url": url, "events": chosen})  # never the secret
    return Registered(endpoint, secret)


async def _endpoint(session: AsyncSession, viewer: Viewer, webhook_id: int) -> WebhookEndpoint:
    """The endpoint, locked, if the caller manages it; NOT_FOUND otherwise (another agency's too)."""
    if not (viewer.is_agency or viewer.is_admin):
        raise forbidden(t("Only a partner agency (with its API key) or an administrator may manage webhooks."))
    endpoint = (await session.execute(
        select(WebhookEndpoint).where(WebhookEndpoint.id == webhook_id, access.webhook_endpoints(viewer))
        .with_for_update())).scalar_one_or_none()
    if endpoint is None:
        raise not_found("webhook endpoint", *ID)
    return endpoint


async def _fail_pending(session: AsyncSession, endpoint_id: int, reason: str) -> None:
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == WebhookDeliveryStatus.PENDING)
        .values(status=WebhookDeliveryStatus.FAILED, last_error=reason, updated_at=utcnow()))


async def disable_webhook(session: AsyncSession, viewer: Viewer, *, webhook_id: int) -> WebhookEndpoint:
    """Stop sending to an endpoint: new events skip it; what waits for it fails (an
    administrator can re-send it once another endpoint takes over)."""
    endpoint = await _endpoint(session, viewer, webhook_id)
    if not endpoint.active:
        raise invalid_state(t("This endpoint is already disabled."), *ID)
    endpoint.active = False
    endpoint.disabled_at = utcnow()
    await _fail_pending(session, endpoint.id, t("the endpoint was disabled"))
    await session.flush()
    await audit.record(session, viewer, "webhook.disable", "webhook_endpoint", endpoint.id, {"active": [True, False]})
    return endpoint


async def delete_webhook(session: AsyncSession, viewer: Viewer, *, webhook_id: int) -> WebhookEndpoint:
    """Remove an endpoint: it is no longer listed and its secret is erased; its
    deliveries stay on record (the admin panel lists them)."""
    endpoint = await _endpoint(session, viewer, webhook_id)
    now = utcnow()
    endpoint.active = False
    endpoint.disabled_at = endpoint.disabled_at or now
    endpoint.deleted_at = now
    endpoint.secret = ""
    await _fail_pending(session, endpoint.id, t("the endpoint was deleted"))
    await session.flush()
    await audit.record(session, viewer, "webhook.delete", "webhook_endpoint", endpoint.id, {"url": endpoint.url})
    return endpoint
