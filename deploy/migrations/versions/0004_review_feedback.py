"""Review queue and feedback (issue 14): review items, and every verdict on an alert or item.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('review_items',
    sa.Column('review_id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('facility', sa.String(length=32), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accession', sa.String(length=64), nullable=False),
    sa.Column('report_event_id', sa.String(length=128), nullable=False),
    sa.Column('report_status', sa.String(length=16), nullable=False),
    sa.Column('modality', sa.String(length=16), nullable=False),
    sa.Column('exam', sa.String(length=256), nullable=False),
    sa.Column('report_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('sentence', sa.String(length=400), nullable=True),
    sa.Column('cues', sa.JSON(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=128), nullable=True),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('note', sa.String(length=2000), nullable=True),
    sa.Column('episode_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('review_id')
    )
    op.create_index('ix_review_items_status_report', 'review_items', ['status', 'report_at'], unique=False)
    op.create_index(op.f('ix_review_items_episode_id'), 'review_items', ['episode_id'], unique=False)
    op.create_table('feedback',
    sa.Column('feedback_id', sa.String(length=64), nullable=False),
    sa.Column('target', sa.String(length=16), nullable=False),
    sa.Column('alert_id', sa.String(length=64), nullable=True),
    sa.Column('review_id', sa.String(length=64), nullable=True),
    sa.Column('episode_id', sa.String(length=64), nullable=True),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('facility', sa.String(length=32), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('note', sa.String(length=2000), nullable=True),
    sa.Column('author', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('flagged_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('feedback_id')
    )
    op.create_index('ix_feedback_flagged', 'feedback', ['flagged_at', 'kind'], unique=False)
    op.create_index(op.f('ix_feedback_alert_id'), 'feedback', ['alert_id'], unique=False)
    op.create_index(op.f('ix_feedback_episode_id'), 'feedback', ['episode_id'], unique=False)
    op.create_index(op.f('ix_feedback_review_id'), 'feedback', ['review_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_feedback_review_id'), table_name='feedback')
    op.drop_index(op.f('ix_feedback_episode_id'), table_name='feedback')
    op.drop_index(op.f('ix_feedback_alert_id'), table_name='feedback')
    op.drop_index('ix_feedback_flagged', table_name='feedback')
    op.drop_table('feedback')
    op.drop_index(op.f('ix_review_items_episode_id'), table_name='review_items')
    op.drop_index('ix_review_items_status_report', table_name='review_items')
    op.drop_table('review_items')
