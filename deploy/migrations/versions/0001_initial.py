"""Initial audit store: episodes, timers, alerts, detections, score snapshots, care events.

Timestamps are timestamptz on PostgreSQL and UTC text on SQLite (models.tables.UtcDateTime
normalises them in Python); this file spells plain SQLAlchemy types so it never changes when
the models do.

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 10:36:41.814617
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('alerts',
    sa.Column('alert_id', sa.String(length=64), nullable=False),
    sa.Column('alert_type', sa.String(length=32), nullable=False),
    sa.Column('priority', sa.String(length=16), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('facility', sa.String(length=32), nullable=True),
    sa.Column('timer', sa.String(length=32), nullable=True),
    sa.Column('due', sa.DateTime(timezone=True), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('summary', sa.String(length=2000), nullable=False),
    sa.Column('detected_late', sa.Boolean(), nullable=False),
    sa.Column('warning_fraction', sa.Float(), nullable=True),
    sa.Column('escalates_alert_id', sa.String(length=64), nullable=True),
    sa.Column('delivery_status', sa.String(length=16), nullable=True),
    sa.Column('delivery_attempts', sa.Integer(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivery_channel', sa.String(length=64), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=128), nullable=True),
    sa.PrimaryKeyConstraint('alert_id')
    )
    op.create_index(op.f('ix_alerts_episode_id'), 'alerts', ['episode_id'], unique=False)

    op.create_table('care_events',
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('record_id', sa.String(length=128), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('facility', sa.String(length=32), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.String(length=256), nullable=False),
    sa.Column('counts_for', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('episode_id', 'kind', 'record_id')
    )
    op.create_table('detections',
    sa.Column('detection_id', sa.String(length=64), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('facility', sa.String(length=32), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accession', sa.String(length=64), nullable=False),
    sa.Column('report_status', sa.String(length=16), nullable=False),
    sa.Column('event_id', sa.String(length=128), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modality', sa.String(length=16), nullable=False),
    sa.Column('exam', sa.String(length=256), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('evidence', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('detection_id')
    )
    op.create_index(op.f('ix_detections_accession'), 'detections', ['accession'], unique=False)
    op.create_index(op.f('ix_detections_episode_id'), 'detections', ['episode_id'], unique=False)

    op.create_table('episodes',
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('facility', sa.String(length=32), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('suspected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_by_accession', sa.String(length=64), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('close_reason', sa.String(length=128), nullable=True),
    sa.Column('escc_grade', sa.String(length=4), nullable=True),
    sa.Column('high_grade', sa.Boolean(), nullable=False),
    sa.Column('levels', sa.JSON(), nullable=True),
    sa.Column('priority', sa.String(length=16), nullable=False),
    sa.Column('retropulsion', sa.Boolean(), nullable=False),
    sa.Column('cord_signal', sa.Boolean(), nullable=False),
    sa.Column('sins_total', sa.Integer(), nullable=True),
    sa.Column('sins_min', sa.Integer(), nullable=True),
    sa.Column('sins_max', sa.Integer(), nullable=True),
    sa.Column('sins_category', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('episode_id')
    )
    op.create_index('ix_episodes_facility_suspected', 'episodes', ['facility', 'suspected_at'], unique=False)
    op.create_index(op.f('ix_episodes_suspected_at'), 'episodes', ['suspected_at'], unique=False)

    op.create_table('score_snapshots',
    sa.Column('score_id', sa.String(length=64), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('facility', sa.String(length=32), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('score_id')
    )
    op.create_index(op.f('ix_score_snapshots_episode_id'), 'score_snapshots', ['episode_id'], unique=False)

    op.create_table('timers',
    sa.Column('timer_id', sa.String(length=64), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('facility', sa.String(length=32), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('met_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('met_by', sa.String(length=128), nullable=True),
    sa.Column('breached_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('breach_retracted', sa.Boolean(), nullable=False),
    sa.Column('cancel_reason', sa.String(length=128), nullable=True),
    sa.PrimaryKeyConstraint('timer_id')
    )
    op.create_index(op.f('ix_timers_episode_id'), 'timers', ['episode_id'], unique=False)



def downgrade() -> None:
    op.drop_index(op.f('ix_timers_episode_id'), table_name='timers')

    op.drop_table('timers')
    op.drop_index(op.f('ix_score_snapshots_episode_id'), table_name='score_snapshots')

    op.drop_table('score_snapshots')
    op.drop_index(op.f('ix_episodes_suspected_at'), table_name='episodes')
    op.drop_index('ix_episodes_facility_suspected', table_name='episodes')

    op.drop_table('episodes')
    op.drop_index(op.f('ix_detections_episode_id'), table_name='detections')
    op.drop_index(op.f('ix_detections_accession'), table_name='detections')

    op.drop_table('detections')
    op.drop_table('care_events')
    op.drop_index(op.f('ix_alerts_episode_id'), table_name='alerts')

    op.drop_table('alerts')
