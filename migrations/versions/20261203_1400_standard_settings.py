"""standard setting studies (modified Angoff)

A study samples items of a blueprint, a panel of staff rates them in rounds, and the derived cut becomes the pass
mark of a new version of the blueprint. Four new tables; nothing existing changes. The downgrade drops them (and
the studies with them; the blueprint versions they created stay).

Revision ID: d34470fe0cfa
Revises: c4d9e2f6a813
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "d34470fe0cfa"
down_revision = "c4d9e2f6a813"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade():
    op.create_table(
        "standard_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("blueprint_id", sa.Integer(), nullable=False),
        sa.Column("blueprint_code", sa.String(length=40), nullable=False),
        sa.Column("blueprint_version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("cut_percent", sa.String(length=10), nullable=True),
        sa.Column("pass_percent", sa.Integer(), nullable=True),
        sa.Column("figures", JSON, nullable=True),
        sa.Column("derived_by_id", sa.Integer(), nullable=True),
        sa.Column("derived_at", sa.DateTime(), nullable=True),
        sa.Column("result_blueprint_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["blueprint_id"], ["blueprints.id"],
                                name=op.f("fk_standard_settings_blueprint_id_blueprints")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_standard_settings_created_by_id_users")),
        sa.ForeignKeyConstraint(["derived_by_id"], ["users.id"], name=op.f("fk_standard_settings_derived_by_id_users")),
        sa.ForeignKeyConstraint(["result_blueprint_id"], ["blueprints.id"],
                                name=op.f("fk_standard_settings_result_blueprint_id_blueprints")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standard_settings")),
    )
    op.create_index(op.f("ix_standard_settings_blueprint_code"), "standard_settings", ["blueprint_code"])
    op.create_table(
        "standard_setting_panel",
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["study_id"], ["standard_settings.id"],
                                name=op.f("fk_standard_setting_panel_study_id_standard_settings")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_standard_setting_panel_user_id_users")),
        sa.PrimaryKeyConstraint("study_id", "user_id", name=op.f("pk_standard_setting_panel")),
    )
    op.create_index(op.f("ix_standard_setting_panel_user_id"), "standard_setting_panel", ["user_id"])
    op.create_table(
        "standard_setting_items",
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("item_version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("area", sa.String(length=20), nullable=False),
        sa.Column("level", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["item_version_id"], ["item_versions.id"],
                                name=op.f("fk_standard_setting_items_item_version_id_item_versions")),
        sa.ForeignKeyConstraint(["study_id"], ["standard_settings.id"],
                                name=op.f("fk_standard_setting_items_study_id_standard_settings")),
        sa.PrimaryKeyConstraint("study_id", "item_version_id", name=op.f("pk_standard_setting_items")),
    )
    op.create_table(
        "standard_setting_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("item_version_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("probability", sa.String(length=12), nullable=False),
        sa.Column("rated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["item_version_id"], ["item_versions.id"],
                                name=op.f("fk_standard_setting_ratings_item_version_id_item_versions")),
        sa.ForeignKeyConstraint(["study_id"], ["standard_settings.id"],
                                name=op.f("fk_standard_setting_ratings_study_id_standard_settings")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_standard_setting_ratings_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standard_setting_ratings")),
        sa.UniqueConstraint("study_id", "user_id", "item_version_id", "round",
                            name="uq_standard_setting_ratings_one_per_round"),
    )
    op.create_index(op.f("ix_standard_setting_ratings_study_id"), "standard_setting_ratings", ["study_id"])


def downgrade():
    op.drop_index(op.f("ix_standard_setting_ratings_study_id"), table_name="standard_setting_ratings")
    op.drop_table("standard_setting_ratings")
    op.drop_table("standard_setting_items")
    op.drop_index(op.f("ix_standard_setting_panel_user_id"), table_name="standard_setting_panel")
    op.drop_table("standard_setting_panel")
    op.drop_index(op.f("ix_standard_settings_blueprint_code"), table_name="standard_settings")
    op.drop_table("standard_settings")
