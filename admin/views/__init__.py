"""The admin panel's views, by area: reference data administrators edit, quotas
and selection rounds, scoring models, and read-only views of what the services
write (applications, contracts, access and audit). The order is the menu's."""

from __future__ import annotations

from admin.base import QonysModelView
from admin.views import (accounts, applications, contracts, kandas, labour, quotas, reference, residence, scoring,
                         webhooks)

EDITABLE_VIEWS: list[type[QonysModelView]] = [
    *reference.VIEWS, residence.AgencyGrantAdmin, quotas.QuotaAdmin, scoring.ScoringModelAdmin, kandas.HolidayAdmin,
    *labour.VIEWS,
]
READ_ONLY_VIEWS: list[type[QonysModelView]] = [
    applications.ApplicationAdmin, scoring.ScoreAdmin, contracts.SocialContractAdmin, contracts.SupportPaymentAdmin,
    contracts.TerminationAdmin, contracts.RefundPaymentAdmin, quotas.SelectionRoundAdmin, accounts.AuditEventAdmin,
    accounts.AdminAccountAdmin, accounts.AgencyApiKeyAdmin, *residence.VIEWS,
    webhooks.WebhookEndpointAdmin, webhooks.WebhookDeliveryAdmin, webhooks.WebhookAttemptAdmin,
    kandas.KandasStatusAdmin, kandas.DecisionReviewAdmin,
    *labour.READ_ONLY,
]
ALL_VIEWS: list[type[QonysModelView]] = EDITABLE_VIEWS + READ_ONLY_VIEWS
