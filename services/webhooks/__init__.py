"""Signed webhooks to partner agencies (Standard Webhooks).

- ``catalogue``: the event types, in one place;
- ``outbox.enqueue``: queue an event for an agency in the caller's transaction
  (what other services call; ``events`` holds the ones raised so far);
- ``endpoints``: register (the secret is shown once), disable, delete; no SSRF;
- ``delivery``: one signed try, its log, retries with exponential backoff,
  FAILED after ``MAX_ATTEMPTS``, re-sending;
- ``worker``: procrastinate jobs on PostgreSQL, the inline sender on SQLite.
"""

from services.webhooks.catalogue import DESCRIPTIONS, EventType
from services.webhooks.outbox import enqueue, queued

__all__ = ["DESCRIPTIONS", "EventType", "enqueue", "queued"]
