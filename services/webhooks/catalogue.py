"""The event types partner agencies subscribe to, in one place.

To add one: a member of ``EventType`` and its description here, then, in the
transaction of the change it announces,
``services.webhooks.enqueue(session, agency_id=…, event_type=EventType.X, payload={…})``
(the API lists the new type in ``WebhookEventType`` by itself).

Which agency an event goes to, and what it carries, follow what the agency may
read (``services.access``), so that a webhook never tells more than a query:

- ``check.requested``: the agency owning the checks' types (SPEC §4);
- ``residence.recorded``: the agency that reported the event
  (``ResidenceEvent.agency_id``, an agency granted ``RESIDENCE``, SPEC §13). It
  is the only agency that reads the event; the contract it matched and the
  breach case it opened or joined are staff-only, so neither is in the payload
  nor announced to anyone else;
- ``violation.recorded``: the agency whose key recorded the violation
  (``Violation.agency_id``, the migration service granted
  ``RECORD_VIOLATIONS``, SPEC §15), with the fields it reads back. A violation
  an officer records has no agency (``agency_id`` null) and sends nothing: no
  agency reads it."""

from __future__ import annotations

from enum import Enum


class EventType(str, Enum):
    """What an agency's endpoint may be told (the value is the event's ``type``)."""

    CHECK_REQUESTED = "check.requested"
    RESIDENCE_RECORDED = "residence.recorded"
    VIOLATION_RECORDED = "violation.recorded"


DESCRIPTIONS: dict[EventType, str] = {
    EventType.CHECK_REQUESTED: "Checks of the agency's types were requested for an application: one event per "
                               "application, listing the checks the agency records.",
    EventType.RESIDENCE_RECORDED: "A residence event the agency reported was recorded (committed): the event as "
                                  "the agency sent it, with its id; never whose contract it matched or a breach "
                                  "case (staff-only). A retry with the same externalId records nothing and sends "
                                  "nothing.",
    EventType.VIOLATION_RECORDED: "A violation the agency's key recorded was committed: its id, kind, date, fine "
                                  "and externalId; never whose it is (employer or application). A retry with the "
                                  "same externalId sends nothing.",
}
