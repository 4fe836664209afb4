"""The access log on SQLite and PostgreSQL: appended rows read back whole, filtered, in order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from models.access import AccessAction, AccessOutcome, AccessRecord
from services.store import StoreError
from services.store.access import AccessLog

T0 = datetime(2026, 12, 7, 9, tzinfo=UTC)


def _entry(i: int, user: str, action: AccessAction, target: str | None) -> AccessRecord:
    return AccessRecord(
        access_id=f"acc-{i}", at=T0 + timedelta(minutes=i), user_name=user, role="coordinator",
        via="session", action=action, target_kind="episode" if target else None,
        target_id=target, remote="192.0.2.10", outcome=AccessOutcome.OK,
        detail={"count": i} if target is None else None,
    )  # fmt: skip


def test_records_read_back_newest_first_with_every_filter(migrated: Engine) -> None:
    log = AccessLog(engine=migrated)
    entries = [
        _entry(0, "a.jones", AccessAction.READ_WORKLIST, None),
        _entry(1, "a.jones", AccessAction.READ_EPISODE, "E1"),
        _entry(2, "b.smith", AccessAction.ACKNOWLEDGE, "E1"),
        _entry(3, "b.smith", AccessAction.READ_EPISODE, "E2"),
    ]
    log.record_many(entries[:3])
    log.record(entries[3])
    assert log.query() == list(reversed(entries))  # aware UTC times and JSON detail survive
    assert [r.access_id for r in log.query(user="a.jones")] == ["acc-1", "acc-0"]
    assert [r.access_id for r in log.query(target_id="E1")] == ["acc-2", "acc-1"]
    reads = log.query(action=AccessAction.READ_EPISODE)
    assert [r.access_id for r in reads] == ["acc-3", "acc-1"]
    window = log.query(since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=3))
    assert [r.access_id for r in window] == ["acc-2", "acc-1"]
    assert len(log.query(limit=1)) == 1


def test_an_unmigrated_store_is_a_store_error_naming_no_data(engine: Engine) -> None:
    with pytest.raises(StoreError, match="access log not written") as caught:
        AccessLog(engine=engine).record(_entry(0, "a.jones", AccessAction.READ_EPISODE, "E9"))
    assert "E9" not in str(caught.value)
