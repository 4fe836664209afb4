"""The demo's alert line and time phrases: what the on-call reader sees, column for column."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from streams.demo.console import Console
from streams.demo.lines import format_alert, span, when

_ALERT = {
    "alert_id": "a-1",
    "alert_type": "timer_breached",
    "priority": "critical",
    "timer": "steroids",
    "episode_id": "33b56264-aaaa-bbbb",
    "patient_id": "MRN-1",
    "at": "2026-11-23T13:03:39+01:00",
    "summary": "OVERDUE:  steroids\n not recorded.",
}


def _plain(text: str, style: str | None) -> str:
    return text


def _ref(patient_id: str | None) -> str:
    return "-" if patient_id is None else "p_0123456789abcdef"


def test_an_alert_is_one_line_in_utc_with_the_pseudonym_and_a_collapsed_summary() -> None:
    line = format_alert(_ALERT, ref=_ref, paint=_plain)
    assert line == (
        "alert  | 12:03:39 timer_breached   critical steroids            "
        "ep 33b56264 p_0123456789abcdef  OVERDUE: steroids not recorded."
    )
    assert "MRN" not in line


def test_a_late_alert_without_timer_or_patient_is_marked_and_dimmed() -> None:
    alert = {**_ALERT, "timer": None, "patient_id": None, "detected_late": True}
    assert "critical -                   ep 33b56264 - (late)  OVERDUE" in format_alert(
        alert, ref=_ref, paint=_plain
    )
    coloured = format_alert(alert, ref=_ref, paint=Console(colour=True).paint)
    assert "\x1b[2mtimer_breached  \x1b[0m" in coloured  # catch-up pages dimmed
    on_time = format_alert(_ALERT, ref=_ref, paint=Console(colour=True).paint)
    assert "\x1b[31mtimer_breached  \x1b[0m" in on_time


def test_console_paints_only_when_colour_is_on(capsys: pytest.CaptureFixture[str]) -> None:
    assert Console(colour=False).paint("x", "red") == "x"
    assert Console(colour=True).paint("x", None) == "x"
    assert Console(colour=True).paint("x", "alarm") == "\x1b[1;97;41mx\x1b[0m"
    Console(colour=False).line("sim", "hello")
    assert capsys.readouterr().out == "sim    | hello\n"


def test_when_names_count_plural_note_and_span_in_utc() -> None:
    at = datetime(2026, 11, 23, 17, 53, 9, tzinfo=UTC)
    assert when("deadline", [at]) == "1 deadline: at 17:53:09 UTC"
    later = (at + timedelta(seconds=11)).astimezone(timezone(timedelta(hours=2)))
    assert when("deadline", [later, at], note="n") == "2 deadlines (n): 17:53:09-17:53:20 UTC"


@pytest.mark.parametrize(
    ("seconds", "said"),
    [(-3, "0 s"), (0, "0 s"), (119, "119 s"), (120, "2 min"), (7199, "120 min"), (21600, "6.0 h")],
)
def test_a_wait_is_said_in_the_unit_a_person_would_use(seconds: float, said: str) -> None:
    assert span(seconds) == said
