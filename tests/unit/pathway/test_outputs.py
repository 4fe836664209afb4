"""Output models round-trip through JSON so the sink and the notifier decode what the agent sent."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from models.outputs import (
    Alert,
    AlertType,
    Priority,
    TimerChanged,
    TimerKind,
    TimerSnapshot,
    TimerStatus,
    episode_change_adapter,
)

T0 = datetime(2026, 1, 1, 8, tzinfo=UTC)


def test_episode_change_decodes_to_its_change_type() -> None:
    snap = TimerSnapshot(
        timer_id="t", kind=TimerKind.STEROIDS, started_at=T0, due_at=T0, status=TimerStatus.MET
    )
    change = TimerChanged(
        change_id="c", patient_id="p", episode_id="e", version=2, at=T0, timer=snap
    )
    decoded = episode_change_adapter.validate_json(change.model_dump_json())
    assert isinstance(decoded, TimerChanged)
    assert decoded == change


def test_alert_rejects_a_naive_time_and_unknown_fields() -> None:
    base = dict(
        alert_id="a",
        alert_type=AlertType.TIMER_BREACHED,
        priority=Priority.CRITICAL,
        episode_id="e",
        patient_id="p",
        at=T0,
        summary="s",
    )
    assert Alert(**base).kind == "alert"
    with pytest.raises(ValidationError):
        Alert(**{**base, "at": datetime(2026, 1, 1)})
    with pytest.raises(ValidationError):
        Alert(**base, colour="red")
