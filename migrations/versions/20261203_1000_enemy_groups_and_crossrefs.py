"""enemy groups and framework cross-references

Item versions carry an enemy group (items testing the same fact are never drawn into one form);
competences carry cross-references to Quyết định 757/QĐ-BKHCN and Thông tư 02/2025/TT-BGDĐT, beside
DigComp 2.2 and Thông tư 03/2014/TT-BTTTT.

Revision ID: 8e1f3a5b2c47
Revises: 7c4d2e9a1b30
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "8e1f3a5b2c47"
down_revision = "7c4d2e9a1b30"
branch_labels = None
depends_on = None


def _json():
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade():
    with op.batch_alter_table("item_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("enemy_group", sa.String(length=80), nullable=True))
        batch_op.create_index(batch_op.f("ix_item_versions_enemy_group"), ["enemy_group"], unique=False)
    with op.batch_alter_table("competences", schema=None) as batch_op:
        batch_op.add_column(sa.Column("qd757", _json(), nullable=True))
        batch_op.add_column(sa.Column("tt02", _json(), nullable=True))


def downgrade():
    with op.batch_alter_table("competences", schema=None) as batch_op:
        batch_op.drop_column("tt02")
        batch_op.drop_column("qd757")
    with op.batch_alter_table("item_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_versions_enemy_group"))
        batch_op.drop_column("enemy_group")
