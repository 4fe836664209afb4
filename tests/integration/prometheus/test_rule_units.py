"""`promtool test rules` on the shipped rule file: each rule on the series its fault produces.

The live test (test_prometheus.py) makes the faults a single worker can show happen for real.
The others (a worker without partitions, a sink retrying, lag, a recovery that never ends, a
refusal share, slow ingest, pages that fail or reach nobody, feeds quiet for a day) are
replayed here as synthetic series through Prometheus's own rule-test engine, at the shipped
`for:` durations and thresholds: each case says when the rule must still be quiet and when it
must fire, with which labels. Annotations are expanded from the shipped templates, so a rule
whose summary or runbook stops rendering fails too.
"""

# ruff: noqa: E501 - CASES is a table: one series per line reads better than wrapped dicts.
from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.prometheus.server import PROMTOOL, SHIPPED, ensure_prometheus

RULES = SHIPPED / "cordwatch-rules.yml"
W = {"instance": "w1:6066", "job": "cordwatch-worker"}


def _series(name: str, labels: dict[str, str], values: str) -> dict[str, str]:
    inner = ",".join(f'{k}="{v}"' for k, v in sorted({**W, **labels}.items()))
    return {"series": f"{name}{{{inner}}}", "values": values}


# (rule, interval, input series, [(eval time, labels of the expected alert or None)])
CASES: list[tuple[str, str, list[dict[str, str]], list[tuple[str, dict[str, str] | None]]]] = [
    (
        "CordwatchNoPartitionsAssigned", "1m",
        [_series("cordwatch_assigned_partitions", {}, "4 4 0x12")],
        [("3m", None), ("9m", W)],
    ),
    (
        "CordwatchSinkRetrying", "1m",
        [_series("cordwatch_sink_retries_total", {}, "0 0 0 1+1x12")],
        [("2m", None), ("5m", None), ("9m", W)],
    ),
    (
        "CordwatchConsumerLag", "1m",
        [
            _series("faust_topic_partition_end_offset", {"topic": "hospital.adt", "partition": "0"}, "5000x20"),
            _series("faust_topic_partition_offset_commited", {"topic": "hospital.adt", "partition": "0"}, "4500x3 1000x17"),
        ],
        [("5m", None), ("14m", {"topic": "hospital.adt"})],
    ),
    (
        "CordwatchTimerServiceWaiting", "1m",
        [_series("cordwatch_timer_service_waiting", {}, "0 0 1x20")],
        [("10m", None), ("18m", W)],
    ),
    (
        "CordwatchTimerScanErrors", "1m",
        [_series("cordwatch_timer_service_errors_total", {}, "0 0 0 1 1 1")],
        [("2m", None), ("4m", W)],
    ),
    (
        "CordwatchNoTimerService", "1m",
        [_series("up", {}, "1x10")],
        [("3m", None), ("7m", {})],
    ),
    (
        # time() is the evaluation time in promtool: a census stamped at 60 s and never again.
        "CordwatchCensusStale", "1m",
        [
            _series("cordwatch_census_timestamp_seconds", {}, "60x15"),
            _series("cordwatch_timer_service_waiting", {}, "0x15"),
        ],
        [("4m", None), ("9m", W)],
    ),
    (
        "CordwatchDeadLetterShareHigh", "1m",
        [
            _series("cordwatch_dead_letters_total", {"topic": "hospital.adt", "reason": "not_json"}, "0+10x40"),
            _series("cordwatch_events_ingested_total", {"topic": "hospital.adt", "event_type": "admit", "facility": "NORTH"}, "0+100x40"),
        ],
        [("10m", None), ("32m", {"topic": "hospital.adt"})],
    ),
    (
        "CordwatchSlowIngest", "1m",
        [
            _series("cordwatch_processing_latency_seconds_bucket", {"topic": "hospital.adt", "le": "0.5"}, "0x20"),
            _series("cordwatch_processing_latency_seconds_bucket", {"topic": "hospital.adt", "le": "1"}, "0+10x20"),
            _series("cordwatch_processing_latency_seconds_bucket", {"topic": "hospital.adt", "le": "+Inf"}, "0+10x20"),
        ],
        [("8m", None), ("17m", {"topic": "hospital.adt"})],
    ),
    (
        "CordwatchFeedSilentLong", "1h",
        [_series("cordwatch_events_ingested_total", {"topic": "hospital.consults", "event_type": "consult_completed", "facility": "NORTH"}, "0 1 1x30")],
        [("20h", None), ("26h", {"topic": "hospital.consults"})],
    ),
    (
        "CordwatchSinkRefusing", "1m",
        [_series("cordwatch_dead_letters_total", {"topic": "cordwatch.episode-changes", "reason": "processing_error"}, "0 0 0 2 2")],
        [("2m", None), ("4m", {})],
    ),
    (
        "CordwatchCriticalPageUndeliverable", "1m",
        [_series("cordwatch_page_undeliverable_total", {"facility": "NORTH"}, "0 0 0 1 1 1")],
        [("2m", None), ("4m", {"facility": "NORTH"})],
    ),
    (
        "CordwatchPageGaveUp", "1m",
        [_series("cordwatch_page_deliveries_total", {"channel": "email", "outcome": "gave_up"}, "0 0 0 1 1")],
        [("2m", None), ("4m", {"channel": "email"})],
    ),
    (
        "CordwatchPageDeliveryFailing", "1m",
        [
            _series("cordwatch_page_deliveries_total", {"channel": "webhook", "outcome": "failed"}, "0 0+5x40"),
            _series("cordwatch_page_deliveries_total", {"channel": "webhook", "outcome": "delivered"}, "0 0+5x40"),
            _series("cordwatch_page_deliveries_total", {"channel": "webhook", "outcome": "gave_up"}, "0x40"),
        ],
        [("8m", None), ("22m", {"channel": "webhook"})],
    ),
    (
        "CordwatchPageDeliverySlow", "1m",
        [
            _series("cordwatch_page_delivery_seconds_bucket", {"channel": "pagerduty", "le": "60"}, "0x40"),
            _series("cordwatch_page_delivery_seconds_bucket", {"channel": "pagerduty", "le": "300"}, "0+4x40"),
            _series("cordwatch_page_delivery_seconds_bucket", {"channel": "pagerduty", "le": "+Inf"}, "0+4x40"),
        ],
        [("6m", None), ("27m", {"channel": "pagerduty"})],
    ),
    (
        "CordwatchCriticalPageUnacknowledged", "1m",
        [_series("cordwatch_oldest_unacknowledged_critical_alert_age_seconds", {"facility": "SOUTH"}, "0 0 600+600x6")],
        [("4m", None), ("5m", {"facility": "SOUTH"})],
    ),
    (
        "CordwatchSendsBlocked", "1m",
        [_series("cordwatch_send_blocked_seconds_total", {"sender": "pathway"}, "0 0 0 0+50x15")],
        [("4m", None), ("12m", {"instance": "w1:6066", "sender": "pathway"})],
    ),
    (
        "CordwatchSlowPathway", "1m",
        [
            _series("cordwatch_pathway_seconds_bucket", {"le": "2.5"}, "0x20"),
            _series("cordwatch_pathway_seconds_bucket", {"le": "+Inf"}, "0+10x20"),
        ],
        [("8m", None), ("17m", {"instance": "w1:6066"})],
    ),
    (
        "CordwatchDeadlinePastDue", "1m",
        [_series("cordwatch_pending_timers", {"facility": "CITY", "kind": "steroids", "state": "past_due"}, "0 0 1x10")],
        [("5m", None), ("8m", {"facility": "CITY", "kind": "steroids"})],
    ),
]  # fmt: skip


def _rules_by_name() -> dict[str, dict[str, Any]]:
    doc = yaml.safe_load(RULES.read_text())
    return {r["alert"]: r for g in doc["groups"] for r in g["rules"]}


def _expand(template: str, labels: dict[str, str]) -> str:
    return re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: labels.get(m.group(1), ""), template)


def _test_file(tmp: Path) -> Path:
    rules = _rules_by_name()
    tests = []
    for alert, interval, series, checks in CASES:
        rule = rules[alert]
        evals = []
        for at, labels in checks:
            expected = []
            if labels is not None:
                full = {**labels, **rule["labels"]}
                expected.append(
                    {
                        "exp_labels": full,
                        "exp_annotations": {
                            k: _expand(v, full) for k, v in rule["annotations"].items()
                        },
                    }
                )
            evals.append({"eval_time": at, "alertname": alert, "exp_alerts": expected})
        tests.append({"interval": interval, "input_series": series, "alert_rule_test": evals})
    path = tmp / "cordwatch-rules.test.yml"
    path.write_text(yaml.safe_dump({"rule_files": [str(RULES)], "tests": tests}))
    return path


def test_every_case_names_a_shipped_rule_and_fires_late_not_early() -> None:
    rules = _rules_by_name()
    for alert, _, _, checks in CASES:
        assert alert in rules, alert
        assert checks[0][1] is None, f"{alert}: first check must be before the fault shows"
        assert checks[-1][1] is not None, f"{alert}: last check must see it fire"


def test_promtool_replays_each_fault_at_the_shipped_durations(tmp_path: Path) -> None:
    reason = ensure_prometheus()
    if reason:
        pytest.skip(reason)
    done = subprocess.run(
        [str(PROMTOOL), "test", "rules", str(_test_file(tmp_path))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "SUCCESS" in done.stdout
