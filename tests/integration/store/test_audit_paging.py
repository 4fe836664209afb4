"""The audit's paging measures from stored alerts, on SQLite and PostgreSQL, against figures worked
by hand: alert to delivered and to acknowledged (median, nearest-rank p90) per facility and
period, an escalation's acknowledgement counted for the page it escalated, and the critical pages
nobody acknowledged."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from models.outputs import Alert, AlertType, Priority
from models.tables import AlertRow
from services.alerts.acks import AckStore
from services.audit import run_audit
from services.audit.html import to_html
from services.audit.render import to_json, to_table
from services.store import Store

DAY = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday: its ISO week is labelled by it
SINCE, UNTIL = DAY, DAY + timedelta(days=1)
AS_OF = DAY + timedelta(days=2)
S, M = timedelta(seconds=1), timedelta(minutes=1)


def _alert(
    alert_id: str,
    kind: AlertType,
    at: datetime,
    *,
    facility: str = "NORTH",
    priority: Priority = Priority.CRITICAL,
    escalates: str | None = None,
) -> Alert:
    return Alert(
        alert_id=alert_id,
        alert_type=kind,
        priority=priority,
        episode_id=f"ep-{alert_id}",
        patient_id=f"MRN-{alert_id}",
        facility=facility,
        at=at,
        summary="written for the test",
        escalates_alert_id=escalates,
    )


@pytest.fixture
def loaded(store: Store) -> Store:
    h = timedelta(hours=1)
    a1 = _alert("A1", AlertType.MESCC_SUSPECTED, DAY + 10 * h)
    e1 = _alert("E1", AlertType.ESCALATION, DAY + 10 * h + 15 * M, escalates="A1")
    a2 = _alert("A2", AlertType.TIMER_BREACHED, DAY + 11 * h)
    a3 = _alert("A3", AlertType.TIMER_WARNING, DAY + 12 * h, priority=Priority.HIGH)
    a4 = _alert("A4", AlertType.MESCC_SUSPECTED, DAY + 13 * h)
    r1 = _alert("R1", AlertType.EPISODE_CLOSED, DAY + 14 * h, priority=Priority.ROUTINE)
    b1 = _alert("B1", AlertType.MESCC_SUSPECTED, DAY + 9 * h, facility="SOUTH")
    late = _alert("L1", AlertType.MESCC_SUSPECTED, UNTIL + h)  # the next day: out of range
    store.apply(alerts=[a1, e1, a2, a3, a4, r1, b1, late])
    delivered = {"A1": 2 * S, "E1": 3 * S, "A2": 4 * S, "A3": 6 * S, "B1": 10 * S, "R1": S}
    table = AlertRow.__table__  # type: ignore[attr-defined]
    at = {a.alert_id: a.at for a in (a1, e1, a2, a3, a4, r1, b1)}
    with store.engine.begin() as conn:
        for alert_id, after in delivered.items():
            conn.execute(
                update(table)
                .where(table.c.alert_id == alert_id)
                .values(delivered_at=at[alert_id] + after, delivery_status="delivered")
            )
    acks = AckStore(engine=store.engine)
    acks.record("E1", by="Dr Tier Two", at=at["A1"] + 20 * M)  # the escalation acknowledged
    acks.record("A2", by="Dr One", at=at["A2"] + 5 * M)
    acks.record("B1", by="Dr South", at=at["B1"] + 30 * M)
    acks.record("A4", by="Dr Late", at=AS_OF + timedelta(hours=1))  # after the report was made
    return store


def _figures(
    store: Store, by: str, as_of: datetime = AS_OF
) -> dict[tuple[str, str], tuple[object, ...]]:
    report = run_audit(engine=store.engine, since=SINCE, until=UNTIL, by=by, as_of=as_of)
    return {
        (r.period, r.facility): (
            r.pages, r.delivered_n, r.delivered_median_s, r.delivered_p90_s,
            r.acknowledged_n, r.acknowledged_median_s, r.acknowledged_p90_s,
            r.critical, r.unacknowledged_critical,
        )
        for r in report.paging
    }  # fmt: skip


def test_paging_figures_equal_the_worked_answers(loaded: Store) -> None:
    assert _figures(loaded, "day") == {
        # A1 A2 A3 A4 (E1 is A1's escalation, R1 routine): delivered 2, 4, 6 -> median 4, p90
        # rank ceil(2.7) = 3 -> 6; acknowledged A1 via E1 at 20 min, A2 at 5 min -> median 750 s,
        # p90 rank 2 -> 1200 s; critical A1 A2 A4, and A4 was acknowledged only after as_of.
        ("2026-01-05", "NORTH"): (4, 3, 4.0, 6, 2, 750.0, 1200, 3, 1),
        ("2026-01-05", "SOUTH"): (1, 1, 10.0, 10, 1, 1800.0, 1800, 1, 0),
        # Pooled: delivered 2, 4, 6, 10 -> median 5, p90 rank 4 -> 10; acknowledged 300, 1200,
        # 1800 -> median 1200, p90 rank 3 -> 1800.
        ("2026-01-05", "(all)"): (5, 4, 5.0, 10, 3, 1200.0, 1800, 4, 1),
    }


def test_periods_are_labelled_as_the_audit_labels_them(loaded: Store) -> None:
    assert set(_figures(loaded, "week")) == {
        ("2026-01-05", "NORTH"), ("2026-01-05", "SOUTH"), ("2026-01-05", "(all)"),
    }  # fmt: skip
    assert {p for p, _ in _figures(loaded, "month")} == {"2026-01"}


def test_a_page_acknowledged_before_the_report_is_not_unacknowledged(loaded: Store) -> None:
    later = _figures(loaded, "day", as_of=AS_OF + timedelta(hours=2))
    assert later[("2026-01-05", "NORTH")][-1] == 0
    assert later[("2026-01-05", "NORTH")][4] == 3  # A4's acknowledgement now counts


def test_every_rendering_shows_the_paging_measures(loaded: Store) -> None:
    report = run_audit(engine=loaded.engine, since=SINCE, until=UNTIL, by="day", as_of=AS_OF)
    doc = json.loads(to_json(report))
    north = next(r for r in doc["paging"] if r["facility"] == "NORTH")
    assert north["acknowledged_median_min"] == 12.5
    assert north["unacknowledged_critical"] == 1
    assert "acknowledged" in doc["definitions"]
    text = to_table(report)
    assert "Pages (alert to delivered" in text
    assert "unacknowledged_critical" in text
    html = to_html(report)
    assert '<table id="paging">' in html
    for rendered in (json.dumps(doc), text, html):
        assert "MRN-" not in rendered  # no patient id in any rendering
        assert "Dr " not in rendered  # nor who acknowledged
