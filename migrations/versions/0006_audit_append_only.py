"""audit trail append-only: UPDATE, DELETE and TRUNCATE of audit_event are refused (issue 19)

On PostgreSQL a trigger refuses every UPDATE and DELETE of an ``audit_event``
row (``BEFORE UPDATE OR DELETE … FOR EACH ROW``) and every TRUNCATE of the
table, for whichever role runs the application: it may insert audit events,
never change or remove one. The error names the table and says it is
append-only (SQLSTATE ``42501``, insufficient privilege).

What the trigger does not stop, by design of PostgreSQL: a superuser session
with ``session_replication_role = replica`` (which skips ordinary triggers; the
test suite's reset uses it) or the table's owner running ``ALTER TABLE …
DISABLE TRIGGER``. In production the application's role should therefore own
neither the table nor superuser rights (see the README, "Operations").

On SQLite this migration does nothing (there is one local file and no roles).
"""
from alembic import op

revision = '0006_audit_append_only'
down_revision = '0002b_scoring'

FUNCTION = """
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'audit events are inserted, never changed or removed';
END $$
"""


def upgrade() -> None:
    """Upgrade schema (PostgreSQL only)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    op.execute("CREATE TRIGGER audit_event_no_update_delete BEFORE UPDATE OR DELETE ON audit_event "
               "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()")
    op.execute("CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
               "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()")


def downgrade() -> None:
    """Downgrade schema (PostgreSQL only)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
    op.execute("DROP TRIGGER IF EXISTS audit_event_no_update_delete ON audit_event")
    op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
