"""Alerts and tasks for the Slack bot: who an alert went to, its priority and snooze; tasks tied to alerts.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alert") as batch:
        batch.add_column(sa.Column("csm", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch.add_column(sa.Column("priority", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                   server_default="urgent"))
        batch.add_column(sa.Column("snoozed_until", sa.Date(), nullable=True))
        batch.create_index("ix_alert_message_ts", ["message_ts"], unique=False)
    with op.batch_alter_table("task") as batch:
        batch.add_column(sa.Column("alert_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("owner_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch.create_index("ix_task_alert_id", ["alert_id"], unique=False)
        batch.create_foreign_key("fk_task_alert_id", "alert", ["alert_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("task") as batch:
        batch.drop_constraint("fk_task_alert_id", type_="foreignkey")
        batch.drop_index("ix_task_alert_id")
        batch.drop_column("owner_name")
        batch.drop_column("alert_id")
    with op.batch_alter_table("alert") as batch:
        batch.drop_index("ix_alert_message_ts")
        batch.drop_column("snoozed_until")
        batch.drop_column("priority")
        batch.drop_column("csm")
