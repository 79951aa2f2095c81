"""a certificate keeps the issuer's place and its verification URL prefix

The PDF printed the place from ISSUER_PLACE and the QR code pointed at PUBLIC_BASE_URL as configured when the
PDF was first rendered (or the URL asked for): a later change of either would have made a new file differ from
the token it carries. Both are now stored at issue, like the issuer's name. Existing certificates get the
values the service runs with when this migration runs, which are the ones they have been rendered and verified
with so far. The downgrade drops the columns; what they held cannot be put back.

Revision ID: 9ae2f366e694
Revises: 8e1f3a5b2c47
"""
import sqlalchemy as sa
from alembic import op
from flask import current_app

revision = "9ae2f366e694"
down_revision = "8e1f3a5b2c47"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("certificates") as batch:
        batch.add_column(sa.Column("issuer_place", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("verify_url_prefix", sa.String(length=300), nullable=True))
    config = current_app.config
    op.get_bind().execute(
        sa.text("UPDATE certificates SET issuer_place = :place, verify_url_prefix = :prefix"),
        {"place": config["ISSUER_PLACE"], "prefix": f"{config['PUBLIC_BASE_URL']}/v/"},
    )
    with op.batch_alter_table("certificates") as batch:
        batch.alter_column("issuer_place", existing_type=sa.String(length=200), nullable=False)
        batch.alter_column("verify_url_prefix", existing_type=sa.String(length=300), nullable=False)


def downgrade():
    with op.batch_alter_table("certificates") as batch:
        batch.drop_column("verify_url_prefix")
        batch.drop_column("issuer_place")
