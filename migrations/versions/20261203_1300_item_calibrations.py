"""item calibrations: IRT parameters per item version, from closed attempts

`flask bank calibrate` estimates each item version's a and b (2PL, c fixed by the item type) from the credits of
submitted attempts. A run is a row of calibration_runs; each version it calibrated a row of item_calibrations,
`current` until a later run calibrates the version again (history is kept). The downgrade drops both tables and
with them every calibration (a new `flask bank calibrate` after upgrading again makes them anew).

Revision ID: c4d9e2f6a813
Revises: b3c8d1e5f702
"""
import sqlalchemy as sa
from alembic import op

revision = "c4d9e2f6a813"
down_revision = "b3c8d1e5f702"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "calibration_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=10), nullable=False),
        sa.Column("blueprint_code", sa.String(length=40), nullable=True),
        sa.Column("min_responses", sa.Integer(), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("iterations", sa.Integer(), nullable=False),
        sa.Column("converged", sa.Boolean(), nullable=False),
        sa.Column("log_likelihood", sa.Double(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calibration_runs")),
    )
    op.create_table(
        "item_calibrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("item_version_id", sa.Integer(), nullable=False),
        sa.Column("a", sa.Double(), nullable=False),
        sa.Column("b", sa.Double(), nullable=False),
        sa.Column("c", sa.Double(), nullable=False),
        sa.Column("se_a", sa.Double(), nullable=True),
        sa.Column("se_b", sa.Double(), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["item_version_id"], ["item_versions.id"],
                                name=op.f("fk_item_calibrations_item_version_id_item_versions")),
        sa.ForeignKeyConstraint(["run_id"], ["calibration_runs.id"],
                                name=op.f("fk_item_calibrations_run_id_calibration_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_calibrations")),
    )
    op.create_index("ix_item_calibrations_current", "item_calibrations", ["item_version_id", "current"], unique=False)
    op.create_index(op.f("ix_item_calibrations_run_id"), "item_calibrations", ["run_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_item_calibrations_run_id"), table_name="item_calibrations")
    op.drop_index("ix_item_calibrations_current", table_name="item_calibrations")
    op.drop_table("item_calibrations")
    op.drop_table("calibration_runs")
