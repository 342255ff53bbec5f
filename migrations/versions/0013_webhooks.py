"""webhooks to partner agencies (issue 19): endpoints, the outbox of deliveries, each try's log

- ``webhook_endpoint``: an agency's endpoint URL, the event types it takes and
  its signing secret (Standard Webhooks), active until disabled or deleted;
- ``webhook_delivery``: the outbox, one row per event and endpoint, written in
  the transaction of the change it announces and sent after commit (PENDING,
  DELIVERED, or FAILED after the last try), due again at ``next_attempt_at``;
- ``webhook_attempt``: one row per try (the receiver's status code or the error).

New tables only: the same on SQLite and PostgreSQL.
"""
from migrations.helpers import (
    CASCADE, NULL, boolean, create_table, created_updated, drop_tables, enum, fk, index, integer, json, stamp,
    string, timestamp,
)

revision = '0013_webhooks'
down_revision = '0008_residence'

TABLES = ('webhook_attempt', 'webhook_delivery', 'webhook_endpoint')


def upgrade() -> None:
    create_table('webhook_endpoint',
        fk('agency_id', index=True),
        string('url', 2000),
        json('events'),
        string('secret', 100),
        boolean('active'),
        stamp('created'),
        timestamp('disabled_at', NULL),
        timestamp('deleted_at', NULL),
    )

    create_table('webhook_delivery',
        fk('endpoint_id', to='webhook_endpoint', index=True),
        fk('agency_id', index=True),
        string('message_id', 60, unique=True),
        string('event_type', 80),
        json('payload'),
        enum('status', 'webhook_delivery_status', ('PENDING', 'DELIVERED', 'FAILED')),
        integer('attempts'),
        timestamp('next_attempt_at'),
        created_updated(),
        timestamp('delivered_at', NULL),
        string('last_error', 500, NULL),
        indexes=[index('ix_webhook_delivery_due', 'status', 'next_attempt_at')],
    )

    create_table('webhook_attempt',
        fk('delivery_id', to='webhook_delivery', ondelete=CASCADE, index=True),
        integer('number'),
        timestamp('at'),
        integer('status_code', NULL),
        string('error', 500, NULL),
        integer('duration_ms'),
    )


def downgrade() -> None:
    drop_tables(*TABLES)
