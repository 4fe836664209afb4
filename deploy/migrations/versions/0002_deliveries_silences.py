"""Paging: one row per delivery attempt, and silences.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('delivery_attempts',
    sa.Column('attempt_id', sa.String(length=80), nullable=False),
    sa.Column('delivery_id', sa.String(length=64), nullable=False),
    sa.Column('alert_id', sa.String(length=64), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('facility', sa.String(length=32), nullable=True),
    sa.Column('priority', sa.String(length=16), nullable=False),
    sa.Column('receiver', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=True),
    sa.Column('tier', sa.Integer(), nullable=False),
    sa.Column('fallback', sa.Boolean(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('alert_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('grouped_alert_ids', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('attempt_id')
    )
    op.create_index('ix_delivery_attempts_delivery', 'delivery_attempts', ['delivery_id', 'outcome'], unique=False)
    op.create_index(op.f('ix_delivery_attempts_alert_id'), 'delivery_attempts', ['alert_id'], unique=False)
    op.create_index(op.f('ix_delivery_attempts_episode_id'), 'delivery_attempts', ['episode_id'], unique=False)
    op.create_table('silences',
    sa.Column('silence_id', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('target', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('author', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.String(length=128), nullable=True),
    sa.PrimaryKeyConstraint('silence_id')
    )
    op.create_index(op.f('ix_silences_target'), 'silences', ['target'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_silences_target'), table_name='silences')
    op.drop_table('silences')
    op.drop_index(op.f('ix_delivery_attempts_episode_id'), table_name='delivery_attempts')
    op.drop_index(op.f('ix_delivery_attempts_alert_id'), table_name='delivery_attempts')
    op.drop_index('ix_delivery_attempts_delivery', table_name='delivery_attempts')
    op.drop_table('delivery_attempts')
