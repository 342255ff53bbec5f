"""The event types partner agencies subscribe to, in one place.

To add one: a member of ``EventType`` and its description here, then, in the
transaction of the change it announces,
``services.webhooks.enqueue(session, agency_id=…, event_type=EventType.X, payload={…})``
(the API lists the new type in ``WebhookEventType`` by itself)."""

from __future__ import annotations

from enum import Enum


class EventType(str, Enum):
    """What an agency's endpoint may be told (the value is the event's ``type``)."""

    CHECK_REQUESTED = "check.requested"


DESCRIPTIONS: dict[EventType, str] = {
    EventType.CHECK_REQUESTED: "Checks of the agency's types were requested for an application: one event per "
                               "application, listing the checks the agency records.",
}
