"""Access and audit: the audit trail, admin accounts and agency API keys
(read-only here; a key is revoked through ``services.auth``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from core.text import t

from sqladmin import action
from sqladmin.filters import BooleanFilter, OperationColumnFilter
from starlette.requests import Request
from starlette.responses import Response

from admin.auth import viewer_for
from admin.base import FK_TARGETS, FormError, fk_label, json_formatter, record_link
from admin.views.common import AccessView, action_page, agency_filter, confirm_url, enum_filter, labels, one_row_action
from core.db import transaction
from models import AdminAccount, AgencyApiKey, AuditEvent
from models.enums import AdminRole
from services.auth import revoke_agency_key


class AuditEventAdmin(AccessView, model=AuditEvent):
    name = "Audit event"
    icon = "fa-solid fa-clipboard-list"
    column_list = ["at", "actor_subject", "actor_role", "action", "entity_type", "entity_id"]
    column_labels = labels(at="When", actor_subject="Who", actor_role="Role", action="Action", entity_type="Table",
                           entity_id="Record", changes="Changes")
    column_searchable_list = ["actor_subject", "action", "entity_type"]
    column_sortable_list = ["at", "actor_subject", "action", "entity_type"]
    column_default_sort = ("at", True)
    column_filters = [OperationColumnFilter(AuditEvent.entity_type, title="Table"),
                      OperationColumnFilter(AuditEvent.actor_subject, title="Who"),
                      OperationColumnFilter(AuditEvent.at, title="When")]
    column_formatters = {"entity_id": lambda m, a, request: audited_record(request, m)}
    column_formatters_detail = {"changes": json_formatter,
                                "entity_id": lambda m, a, request: audited_record(request, m)}

    def references(self, row: Any) -> Iterable[tuple[str, int]]:
        if row.entity_type in FK_TARGETS and row.entity_id is not None:
            yield row.entity_type, row.entity_id


def audited_record(request: Request, event: AuditEvent) -> Any:
    """The record an event is about, by name with a link where the panel has its page."""
    if event.entity_id is None:
        return ""
    if event.entity_type not in FK_TARGETS:
        return event.entity_id
    return record_link(request, event.entity_type, event.entity_id,
                       fk_label(request, event.entity_type, event.entity_id))


class AdminAccountAdmin(AccessView, model=AdminAccount):
    name = "Admin account"
    icon = "fa-solid fa-user-shield"
    column_list = ["username", "role", "active", "created_at", "last_login_at"]
    column_details_list = ["id", "username", "role", "active", "created_at", "last_login_at"]
    column_export_list = ["username", "role", "active", "created_at", "last_login_at"]
    column_labels = labels("active", "created_at", username="Username", role="Role", last_login_at="Last login")
    column_searchable_list = ["username"]
    column_sortable_list = ["username", "role", "last_login_at"]
    column_default_sort = "username"
    column_filters = [enum_filter(AdminAccount.role, AdminRole, "Role"), BooleanFilter(AdminAccount.active, title="Active")]


class AgencyApiKeyAdmin(AccessView, model=AgencyApiKey):
    name = "Agency API key"
    icon = "fa-solid fa-key"
    column_list = ["prefix", "agency_id", "label", "created_at", "last_used_at", "revoked_at"]
    column_details_list = ["id", "prefix", "agency_id", "label", "created_at", "last_used_at", "revoked_at"]
    column_export_list = ["prefix", "agency_id", "label", "created_at", "last_used_at", "revoked_at"]
    column_labels = labels("created_at", "agency_id", prefix="Key prefix", label="Label", last_used_at="Last used",
                           revoked_at="Revoked")
    column_searchable_list = ["prefix", "label"]
    column_sortable_list = ["created_at", "last_used_at", "revoked_at"]
    column_default_sort = ("created_at", True)
    column_filters = [agency_filter(AgencyApiKey.agency_id)]

    @action(name="revoke", label="Revoke", add_in_list=True, add_in_detail=True)
    async def revoke_action(self, request: Request) -> Response:
        title = t("Revoke an agency API key")

        async def work(key_id: int, confirm: bool) -> Response:
            async with self.sessions() as session:
                key = await session.get(AgencyApiKey, key_id)
            if key is None:
                raise FormError(t("the key no longer exists"))
            if not confirm:
                return await action_page(
                    self, request, title=title,
                    message=t("The key {prefix}… will stop working at once. This cannot be undone.", prefix=key.prefix),
                    confirm_url=confirm_url(request), confirm_label=t("Revoke the key"))
            async with transaction(self.sessions) as session:
                await revoke_agency_key(session, viewer_for(request), key.prefix)
            return await action_page(self, request, title=title, message=t("The key {prefix}… is revoked.", prefix=key.prefix))

        return await one_row_action(self, request, title=title, choose=t("Choose exactly one key to revoke."), work=work)
