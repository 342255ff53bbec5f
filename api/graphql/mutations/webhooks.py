"""Webhooks: an agency registers an endpoint (the signing secret is in the
payload, once), disables or deletes it; administrators do it for any agency,
naming it. The service decides who may (``services.webhooks.endpoints``)."""

from __future__ import annotations

import strawberry

import models as m
from api.graphql.context import Info
from api.graphql.mutations.base import Payload, decode_id, run
from api.graphql.types import UserError
from api.graphql.types.common import payload_type
from api.graphql.types.webhooks import WebhookEndpoint, WebhookEventType
from services.webhooks import endpoints as svc


@strawberry.input
class RegisterWebhookInput:
    url: str = strawberry.field(description="An https:// URL reachable on the public internet.")
    events: list[WebhookEventType]  # type: ignore[valid-type]
    agency_code: str | None = strawberry.field(
        default=None, description="The agency the endpoint is for (administrators; an agency's key registers its own).")


@strawberry.type
class RegisterWebhookPayload:
    webhook: WebhookEndpoint | None
    secret: str | None = strawberry.field(description=(
        "The signing secret (`whsec_…`), shown this once: verify each delivery's `webhook-signature` with it "
        "(Standard Webhooks)."))
    errors: list[UserError]


@strawberry.input
class WebhookInput:
    webhook_id: strawberry.ID


WebhookPayload = payload_type("WebhookPayload", "webhook", WebhookEndpoint)


@strawberry.type
class DeleteWebhookPayload:
    deleted_id: strawberry.ID | None
    errors: list[UserError]


async def _register(info: Info, input: RegisterWebhookInput) -> RegisterWebhookPayload:
    async def action(session: object) -> svc.Registered:
        return await svc.register_webhook(
            session, info.context.viewer, url=input.url, events=list(input.events), agency_code=input.agency_code,
            development=not info.context.settings.production)  # type: ignore[arg-type]

    registered, errors = await run(info, action)
    row = await info.context.loaders.get(m.WebhookEndpoint, registered.endpoint.id) if registered else None
    return RegisterWebhookPayload(webhook=WebhookEndpoint.from_row(row) if row else None,
                                  secret=registered.secret if registered else None, errors=errors)


_webhook = Payload.of(WebhookPayload).mutation


async def _delete(info: Info, input: WebhookInput) -> DeleteWebhookPayload:
    async def action(session: object) -> int:
        pk = decode_id(input.webhook_id, "WebhookEndpoint", "input", "webhookId")
        return (await svc.delete_webhook(session, info.context.viewer, webhook_id=pk)).id  # type: ignore[arg-type]

    pk, errors = await run(info, action)
    return DeleteWebhookPayload(deleted_id=input.webhook_id if pk is not None else None, errors=errors)


@strawberry.type
class WebhookMutations:
    register_webhook = strawberry.mutation(resolver=_register, description=(
        "Register an endpoint for signed webhooks; the payload carries its signing secret, shown once."))
    disable_webhook = _webhook(WebhookInput, svc.disable_webhook, ids={"webhook_id": "WebhookEndpoint"})
    delete_webhook = strawberry.mutation(resolver=_delete)
