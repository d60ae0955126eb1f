"""Report snapshots keep each account's explanation apart from its entry.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("report_account") as batch:
        batch.add_column(sa.Column("explanation", sa.Text(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("report_account") as batch:
        batch.drop_column("explanation")
