"""Report snapshots: a scored portfolio kept until its data or config change.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "revision",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "report_snapshot",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("inputs", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("portfolio", sa.Text(), nullable=False),
        sa.Column("actions", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("as_of"),
    )
    op.create_table(
        "report_account",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("account_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("actions", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("as_of", "account_id"),
    )
    op.create_index("ix_report_account_position", "report_account", ["as_of", "position"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_report_account_position", table_name="report_account")
    op.drop_table("report_account")
    op.drop_table("report_snapshot")
    op.drop_table("revision")
