"""web sessions are records on the server

The web pages kept who is signed in only in the signed cookie, so signing out cleared the browser's copy and
any other copy of the cookie kept working. Each signed-in browser is now a row; signing out, a password
change and a deactivation delete rows. Cookies issued before this revision carry no session key and so are
signed out by it (people sign in again). The downgrade drops the table.

Revision ID: b3c8d1e5f702
Revises: 9ae2f366e694
"""
import sqlalchemy as sa
from alembic import op

revision = "b3c8d1e5f702"
down_revision = "9ae2f366e694"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "web_sessions",
        sa.Column("key_sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_web_sessions_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key_sha256", name=op.f("pk_web_sessions")),
    )
    op.create_index(op.f("ix_web_sessions_user_id"), "web_sessions", ["user_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_web_sessions_user_id"), table_name="web_sessions")
    op.drop_table("web_sessions")
