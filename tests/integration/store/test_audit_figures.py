"""Audit figures computed in the database equal the hand-worked answers, on both dialects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.audit import AuditError, run_audit
from services.store import Store
from tests.integration.store.dataset import (
    AS_OF,
    EXPECTED_BREACHES,
    EXPECTED_MONTH,
    EXPECTED_WEEK_EPISODES,
    MET,
    SINCE,
    UNTIL,
    S,
    episode,
    known_dataset,
    timer,
)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600


@pytest.fixture
def loaded(store: Store) -> Store:
    store.apply(changes=known_dataset())
    return store


def test_monthly_figures_equal_the_worked_answers(loaded: Store) -> None:
    report = run_audit(engine=loaded.engine, since=SINCE, until=UNTIL, by="month", as_of=AS_OF)
    got = {
        (r.period, r.facility, r.measure.value): (
            r.episodes, r.n, _hours(r.median_s), _hours(r.p90_s), r.on_time, r.decided,
            r.breaches, r.retracted, r.open,
        )
        for r in report.rows
    }  # fmt: skip
    assert got == EXPECTED_MONTH
    compliance = {(r.period, r.facility, r.measure.value): r.compliance for r in report.rows}
    assert compliance[("2026-01", "NORTH", "steroids")] == pytest.approx(2 / 3)
    assert compliance[("2026-01", "NORTH", "surgical_evaluation")] == pytest.approx(1 / 3)
    assert compliance[("2026-01", "SOUTH", "steroids")] == 1.0
    assert compliance[("2026-01", "NORTH", "radiotherapy")] is None


def test_pooled_rows_rank_all_facilities_together(loaded: Store) -> None:
    report = run_audit(engine=loaded.engine, since=SINCE, until=UNTIL, by="month", as_of=AS_OF)
    pooled = {(r.period, r.measure.value): r for r in report.overall}
    steroids = pooled[("2026-01", "steroids")]
    # NORTH 2, 4, 30 and SOUTH 0 -> 0, 2, 4, 30: median (2+4)/2 = 3; p90 rank ceil(3.6) = 4.
    assert (steroids.facility, steroids.episodes, steroids.n) == ("(all)", 6, 4)
    assert (_hours(steroids.median_s), _hours(steroids.p90_s)) == (3.0, 30.0)
    assert steroids.compliance == pytest.approx(3 / 4)
    assert pooled[("2026-01", "surgery")].median_s == 44 * 3600  # (40 + 48) / 2


def test_weeks_start_on_monday_and_periods_are_utc(loaded: Store) -> None:
    report = run_audit(engine=loaded.engine, since=SINCE, until=UNTIL, by="week", as_of=AS_OF)
    got = {(r.period, r.facility): r.episodes for r in report.rows}
    assert got == EXPECTED_WEEK_EPISODES


def test_days_group_by_utc_calendar_day(loaded: Store) -> None:
    report = run_audit(engine=loaded.engine, since=SINCE, until=UNTIL, by="day", as_of=AS_OF)
    days = sorted({(r.period, r.facility) for r in report.rows})
    assert ("2026-02-01", "NORTH") in days  # 31 Jan 23:30 at UTC-5
    assert ("2026-01-11", "SOUTH") in days
    assert len(days) == 7


def test_facility_filter_and_range_bounds(loaded: Store) -> None:
    report = run_audit(
        engine=loaded.engine, since=SINCE, until=UNTIL, by="month", as_of=AS_OF, facility="SOUTH"
    )
    assert {r.facility for r in report.rows} == {"SOUTH"}
    assert report.breaches == []
    # until is exclusive: X2 at 1 March 00:00 is out; since is inclusive.
    wide = run_audit(
        engine=loaded.engine, since=SINCE, until=UNTIL + timedelta(seconds=1), by="month",
        as_of=AS_OF,
    )  # fmt: skip
    assert ("2026-03", "NORTH") in {(r.period, r.facility) for r in wide.rows}


def test_breached_episodes_say_what_was_late_by_how_much(loaded: Store) -> None:
    report = run_audit(engine=loaded.engine, since=SINCE, until=UNTIL, by="month", as_of=AS_OF)
    got = [(b.episode_id, b.measure.value, b.late_by_s) for b in report.breaches]
    assert got == EXPECTED_BREACHES
    assert report.breaches_total == 3
    limited = run_audit(
        engine=loaded.engine, since=SINCE, until=UNTIL, by="month", as_of=AS_OF, breach_limit=1
    )
    assert len(limited.breaches) == 1
    assert limited.breaches_total == 3


@pytest.mark.parametrize(
    ("hours", "median", "p90"),
    [
        # n=10: middle ranks 5 and 6 -> (5+6)/2; p90 rank ceil(9.0) = 9.
        (list(range(1, 11)), 5.5, 9),
        # n=11: middle rank 6; p90 rank ceil(9.9) = 10.
        (list(range(1, 12)), 6, 10),
        # n=1: both are the only value.
        ([7], 7, 7),
        # n=2: mean of both; p90 rank ceil(1.8) = 2. Input order must not matter.
        ([9, 3], 6, 9),
        # n=20 with ties: ranks 10, 11 -> 2 and 3; p90 rank 18 -> 9.
        ([1] * 5 + [2] * 5 + [3] * 5 + [9] * 3 + [10] * 2, 2.5, 9),
    ],
)
def test_percentiles_are_nearest_rank_and_median_is_the_middle(
    store: Store, hours: list[int], median: float, p90: int
) -> None:
    t0 = datetime(2026, 5, 4, tzinfo=UTC)
    changes = []
    for i, h in enumerate(hours):
        start = t0 + timedelta(minutes=i)
        changes += [
            episode(f"P{i}", start, facility="PCT"),
            timer(f"P{i}", S, start, facility="PCT", status=MET, met_after=timedelta(hours=h)),
        ]
    store.apply(changes=changes)
    report = run_audit(
        engine=store.engine, since=t0, until=t0 + timedelta(days=1), by="month", as_of=t0
    )
    (row,) = [r for r in report.rows if r.measure.value == "steroids"]
    assert row.n == len(hours)
    assert _hours(row.median_s) == median
    assert _hours(row.p90_s) == p90


def test_bad_requests_are_refused(store: Store) -> None:
    with pytest.raises(AuditError, match="--by"):
        run_audit(engine=store.engine, since=SINCE, until=UNTIL, by="year", as_of=AS_OF)
    with pytest.raises(AuditError, match="after"):
        run_audit(engine=store.engine, since=UNTIL, until=SINCE, by="day", as_of=AS_OF)
