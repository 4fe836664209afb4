"""The replay driver's clock: never backwards, deadlines in order between events, --until."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from models.outputs import Alert, AlertType
from services.pathway.replay import ReplayError, parse_line, read_lines, replay
from services.policy import load_policy
from streams.cli import main

from .keyword_detector import keyword_detect
from .stub_scorer import stub_score

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)
REPORT = "FINDINGS: Epidural tumour at T9 with cord compression, ESCC grade 3."


def _line(event_id: str, at: datetime, patient: str, etype: str, **fields: object) -> str:
    payload = {
        "event_id": event_id,
        "event_type": etype,
        "occurred_at": at.isoformat(),
        "patient_id": patient,
        **fields,
    }
    return json.dumps(payload, default=str)


def _report(event_id: str, at: datetime, patient: str, **extra: object) -> str:
    return _line(
        event_id,
        at,
        patient,
        "imaging_report",
        accession=f"A-{event_id}",
        status="final",
        modality="MR",
        exam="MRI SPINE",
        text=REPORT,
        **extra,
    )


def _alerts(lines: list[str], until: datetime | None = None) -> list[Alert]:
    _, outputs = replay(
        read_lines(lines),
        policy=load_policy(),
        until=until,
        detector=keyword_detect,
        scorer=stub_score,
    )
    return [o for o in outputs if isinstance(o, Alert)]


def test_deadlines_fire_in_order_across_patients_before_the_next_event() -> None:
    lines = [
        _report("a", T0, "P1"),
        _report("b", T0 + H, "P2"),
        _line("x", T0 + 30 * H, "P3", "admit"),
    ]
    got = [(a.at, a.patient_id, a.alert_type) for a in _alerts(lines)]
    breaches = [g for g in got if g[2] == AlertType.TIMER_BREACHED]
    assert [(at, p) for at, p, _ in breaches] == [
        (T0 + 24 * H, "P1"),
        (T0 + 24 * H, "P1"),
        (T0 + 25 * H, "P2"),
        (T0 + 25 * H, "P2"),
    ]
    assert [at for at, _, _ in got] == sorted(at for at, _, _ in got)


def test_the_clock_never_moves_backwards() -> None:
    lines = [
        _line("x", T0 + 5 * H, "P9", "admit"),
        _report("a", T0, "P1"),  # occurred earlier, arrives later: handled at T0 + 5 h
    ]
    [suspected] = [a for a in _alerts(lines) if a.alert_type == AlertType.MESCC_SUSPECTED]
    assert suspected.at == T0 + 5 * H
    assert suspected.due == T0 + 24 * H


def test_received_at_models_a_late_arrival() -> None:
    lines = [_report("a", T0, "P1", received_at=(T0 + 13 * H).isoformat())]
    alerts = _alerts(lines)
    assert {a.at for a in alerts} == {T0 + 13 * H}
    assert {a.alert_type for a in alerts} == {AlertType.MESCC_SUSPECTED, AlertType.TIMER_WARNING}


def test_until_fires_deadlines_after_the_last_event_and_no_further() -> None:
    lines = [_report("a", T0, "P1")]
    assert [a.alert_type for a in _alerts(lines)] == [AlertType.MESCC_SUSPECTED]
    fired = [(a.alert_type, a.timer) for a in _alerts(lines, until=T0 + 24 * H)]
    assert [k for k, _ in fired].count(AlertType.TIMER_BREACHED) == 2
    # The critical suspicion page's five plan steps, none of the breaches' yet.
    assert fired.count((AlertType.ESCALATION, None)) == 5
    assert [t for k, t in fired if k == AlertType.ESCALATION and t is not None] == []
    later = [a for a in _alerts(lines, until=T0 + 24 * H + timedelta(minutes=15))]
    assert len([a for a in later if a.alert_type == AlertType.ESCALATION and a.timer]) == 2


def test_an_invalid_line_names_its_number_and_not_its_content() -> None:
    bad = _line("x", T0, "SECRET-MRN", "admit").replace(T0.isoformat(), "2026-03-02 08:00")
    with pytest.raises(ReplayError) as caught:
        list(read_lines(["", _line("ok", T0, "P1", "admit"), bad]))
    assert "line 3" in str(caught.value)
    assert "SECRET-MRN" not in str(caught.value)
    with pytest.raises(ReplayError, match="line 7: invalid JSON"):
        parse_line("{", number=7)


def test_cli_rejects_a_bad_file_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"event_type": "admit"}\n')
    assert main(["replay", str(path)]) == 2
    assert "line 1" in capsys.readouterr().err


def test_cli_prints_outputs_and_summary_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "events.jsonl"
    lines = [
        _line(
            "m",
            T0 - H,
            "P1",
            "medication_administration",
            administration_id="A1",
            medication="dexamethasone",
            status="completed",
        ),
        _line("d", T0 + H, "P1", "discharge"),
    ]
    path.write_text("\n".join(lines) + "\n")
    assert main(["replay", str(path), "--until", (T0 + 48 * H).isoformat()]) == 0
    assert capsys.readouterr().out == ""  # no report: no episode, nothing to say
    monkeypatch.setattr("sys.stdin", io.StringIO(_report("a", T0, "P1") + "\n"))
    try:
        from services.detection import detect  # noqa: F401
    except ImportError:
        pytest.skip("the report detector (services.detection.detect) has not landed yet")
    assert main(["replay", "-", "--summary"]) == 0
    [summary] = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert summary["status"] == "open"
    assert summary["timers"]["steroids"]["outcome"] == "pending"


def test_a_polling_timer_service_and_the_replay_clock_send_the_same_alerts() -> None:
    """What the Faust worker does (TimerDue from a 30 s scan) matches the replay driver."""
    from services.pathway import due_timers, handle

    example = Path(__file__).resolve().parents[2] / "examples/replay/breach_and_retraction.jsonl"
    lines = list(read_lines(example.read_text().splitlines()))
    until = T0 + 48 * H
    _, replayed = replay(
        lines, policy=load_policy(), until=until, detector=keyword_detect, scorer=stub_score
    )
    policy, states, sent = load_policy(), {}, []
    arrivals = [(ln.received_at or ln.event.occurred_at, ln.event) for ln in lines]
    clock, tick = arrivals[0][0], timedelta(seconds=30)
    while clock <= until:
        for state in list(states.values()):
            for due in due_timers(state, clock):
                new, out = handle(
                    states[due.patient_id],
                    due,
                    clock,
                    policy=policy,
                    detector=keyword_detect,
                    scorer=stub_score,
                )
                states[due.patient_id] = new
                sent += out
        while arrivals and arrivals[0][0] <= clock:
            _, event = arrivals.pop(0)
            new, out = handle(
                states.get(event.patient_id),
                event,
                clock,
                policy=policy,
                detector=keyword_detect,
                scorer=stub_score,
            )
            states[event.patient_id] = new
            sent += out
        clock += tick

    def ids(outputs: list) -> list[tuple[str, str]]:
        return sorted((o.alert_id, o.alert_type) for o in outputs if isinstance(o, Alert))

    assert ids(sent) == ids(replayed)
    assert len(ids(sent)) >= 6


def test_page_after_folds_a_first_deployments_history_without_paging(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "first.jsonl"
    lines = [_report("old", T0, "P1"), _report("new", T0 + 3 * H, "P2")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    after = (T0 + H).isoformat()
    assert main(["replay", str(path), "--page-after", after]) == 0
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    paged = {o["patient_id"] for o in printed if o["kind"] == "alert"}
    assert paged == {"P2"}
    assert {o["patient_id"] for o in printed if o.get("change_type") == "episode"} == {"P1", "P2"}


def test_lines_outside_the_time_range_are_refused_like_ingest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    year_9999 = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
    lines = [_report("x", year_9999, "P1"), _report("r", T0, "P1")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["replay", str(path), "--summary"]) == 0
    captured = capsys.readouterr()
    assert "refused 1 line(s)" in captured.err
    assert "bad_timestamp" in captured.err
    [summary] = [json.loads(line) for line in captured.out.splitlines()]
    assert summary["suspected_at"].startswith("2026-03-02T08:00")
