"""audit log time is the database's

An audit entry cannot be back-dated: on PostgreSQL a trigger stamps every new entry with the database's
own clock, whatever the inserting statement gave; on SQLite (single-machine demo) an entry more than a
minute away from the database's clock is refused.

Revision ID: 7c4d2e9a1b30
Revises: 5a1f0c2b7e11
"""
from alembic import op

revision = "7c4d2e9a1b30"
down_revision = "5a1f0c2b7e11"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION audit_log_stamp_time() RETURNS trigger AS $$
            BEGIN
                NEW.at := clock_timestamp() AT TIME ZONE 'UTC';
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql;
            """
        )
        op.execute(
            "CREATE TRIGGER audit_log_time BEFORE INSERT ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_stamp_time();"
        )
    else:
        op.execute(
            "CREATE TRIGGER audit_log_no_backdating BEFORE INSERT ON audit_log "
            "WHEN abs(julianday(NEW.at) - julianday('now')) * 86400 > 60 "
            "BEGIN SELECT RAISE(ABORT, 'audit_log entries carry the time they are written'); END;"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_time ON audit_log;")
        op.execute("DROP FUNCTION audit_log_stamp_time();")
    else:
        op.execute("DROP TRIGGER audit_log_no_backdating;")
