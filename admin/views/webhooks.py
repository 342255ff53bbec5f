"""Webhooks to partner agencies: endpoints (never their secrets), the outbox of
deliveries with each try, and re-sending a delivery (``services.webhooks``)."""

from __future__ import annotations

from sqladmin import action
from sqladmin.filters import BooleanFilter, OperationColumnFilter
from starlette.requests import Request
from starlette.responses import Response

from admin.auth import viewer_for
from admin.base import FormError, json_formatter
from admin.views.common import AccessView, action_page, agency_filter, confirm_url, enum_filter, labels, one_row_action
from core.db import transaction
from models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from models.enums import WebhookDeliveryStatus
from services import webhooks
from services.webhooks import worker
from services.webhooks.delivery import MAX_ATTEMPTS, resend_delivery

ENDPOINT_COLUMNS = ["id", "agency_id", "url", "events", "active", "created_at", "created_by", "disabled_at",
                    "deleted_at"]


class WebhookEndpointAdmin(AccessView, model=WebhookEndpoint):
    name = "Webhook endpoint"
    icon = "fa-solid fa-satellite-dish"
    column_list = ["agency_id", "url", "events", "active", "created_at", "deleted_at"]
    column_details_list = ENDPOINT_COLUMNS  # never the secret
    column_export_list = ENDPOINT_COLUMNS
    column_labels = labels("active", "created_at", "agency_id", url="URL", events="Events", created_by="Registered by",
                           disabled_at="Disabled", deleted_at="Deleted")
    column_searchable_list = ["url"]
    column_sortable_list = ["created_at", "active"]
    column_default_sort = ("created_at", True)
    column_filters = [agency_filter(WebhookEndpoint.agency_id), BooleanFilter(WebhookEndpoint.active, title="Active")]


class WebhookDeliveryAdmin(AccessView, model=WebhookDelivery):
    name = "Webhook delivery"
    icon = "fa-solid fa-paper-plane"
    column_list = ["created_at", "agency_id", "endpoint_id", "event_type", "status", "attempts", "next_attempt_at",
                   "last_error"]
    column_details_list = ["id", "message_id", "agency_id", "endpoint_id", "event_type", "status", "attempts",
                           "created_at", "next_attempt_at", "delivered_at", "last_error", "payload"]
    column_labels = labels("status", "created_at", "updated_at", "agency_id", endpoint_id="Endpoint",
                           event_type="Event", attempts=f"Tries (of {MAX_ATTEMPTS})", next_attempt_at="Next try",
                           delivered_at="Delivered", last_error="Last error", message_id="webhook-id", payload="Body")
    column_searchable_list = ["message_id", "event_type"]
    column_sortable_list = ["created_at", "status", "attempts", "next_attempt_at"]
    column_default_sort = ("created_at", True)
    column_filters = [enum_filter(WebhookDelivery.status, WebhookDeliveryStatus, "Status"),
                      agency_filter(WebhookDelivery.agency_id),
                      OperationColumnFilter(WebhookDelivery.event_type, title="Event")]
    column_formatters_detail = {"payload": json_formatter}

    @action(name="resend", label="Re-send", add_in_list=True, add_in_detail=True)
    async def resend_action(self, request: Request) -> Response:
        title = "Re-send a webhook delivery"

        async def work(delivery_id: int, confirm: bool) -> Response:
            async with self.sessions() as session:
                delivery = await session.get(WebhookDelivery, delivery_id)
            if delivery is None:
                raise FormError("the delivery no longer exists")
            if not confirm:
                return await action_page(
                    self, request, title=title,
                    message=(f"The {delivery.event_type} event {delivery.message_id} ({delivery.status.value}, "
                             f"{delivery.attempts} tries) will be sent again with the same webhook-id and "
                             f"{MAX_ATTEMPTS} new tries."),
                    confirm_url=confirm_url(request), confirm_label="Re-send")
            async with transaction(self.sessions) as session:
                await resend_delivery(session, viewer_for(request), delivery_id=delivery_id)
            worker.after_commit(self.settings, webhooks.queued(session))
            where = "`qonys worker --inline` sends it" if self.settings.is_sqlite else "a worker sends it"
            return await action_page(self, request, title=title,
                                     message=f"The delivery {delivery.message_id} is queued again; {where}.")

        return await one_row_action(self, request, title=title, choose="Choose exactly one delivery to re-send.",
                                    work=work)


class WebhookAttemptAdmin(AccessView, model=WebhookAttempt):
    name = "Webhook try"
    icon = "fa-solid fa-list-check"
    column_list = ["at", "delivery_id", "number", "status_code", "error", "duration_ms"]
    column_labels = labels(at="When", delivery_id="Delivery", number="Try", status_code="HTTP status",
                           error="Error", duration_ms="Duration (ms)")
    column_sortable_list = ["at", "delivery_id", "number"]
    column_default_sort = ("at", True)
    column_filters = [OperationColumnFilter(WebhookAttempt.delivery_id, title="Delivery")]
