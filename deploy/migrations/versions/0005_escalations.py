"""Escalations (issue 13): each critical page's escalation, how far it went and why it stopped.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "escalations",
        sa.Column("alert_id", sa.String(length=64), nullable=False),
        sa.Column("episode_id", sa.String(length=64), nullable=False),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("facility", sa.String(length=32), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("alert_type", sa.String(length=32), nullable=False),
        sa.Column("timer", sa.String(length=32), nullable=True),
        sa.Column("paged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("steps_sent", sa.Integer(), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("stopped", sa.String(length=16), nullable=True),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("alert_id"),
    )
    op.create_index(op.f("ix_escalations_episode_id"), "escalations", ["episode_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_escalations_episode_id"), table_name="escalations")
    op.drop_table("escalations")
