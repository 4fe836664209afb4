"""The deployment files agree with the code: metric names, setting names, file references."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from prometheus_client import CollectorRegistry

from services.config import Settings
from services.metrics import CordwatchMetrics

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
METRIC = re.compile(r"\b(?:cordwatch|faust)_[a-z_]+\b")


def exported_names() -> set[str]:
    from streams.app import faust_metrics

    registry = CollectorRegistry()
    CordwatchMetrics.create(registry)
    faust_metrics(registry)
    names = set()
    for family in registry.collect():
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
        # Samples appear only once a labelled child exists; the suffixes are fixed by type.
        suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"]}
        names.update(family.name + suffix for suffix in suffixes.get(family.type, []))
    return names


def referenced_metrics() -> dict[str, set[str]]:
    rules = yaml.safe_load((PROMETHEUS / "cordwatch-rules.yml").read_text())
    exprs = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    dashboard = json.loads((PROMETHEUS / "dashboards" / "cordwatch-ingest.json").read_text())
    exprs += [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    return {expr: set(METRIC.findall(expr)) for expr in exprs}


def test_rules_and_dashboard_use_only_metrics_the_worker_exports() -> None:
    known = exported_names()
    unknown = {expr: names - known for expr, names in referenced_metrics().items() if names - known}
    assert unknown == {}


def test_every_rule_has_severity_and_summary() -> None:
    rules = yaml.safe_load((PROMETHEUS / "cordwatch-rules.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
            assert rule["annotations"]["summary"], rule["alert"]


def test_prometheus_loads_the_rules_file_compose_mounts() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    compose = (ROOT / "docker-compose.yml").read_text()
    for path in config["rule_files"]:
        assert (PROMETHEUS / Path(path).name).exists()
        assert f":{path}:ro" in compose


def test_compose_sets_only_real_settings() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    env = compose["x-cordwatch-env"]
    fields = {f"CORDWATCH_{name.upper()}" for name in Settings.model_fields}
    assert set(env) - fields == set()
    assert env["CORDWATCH_ENVIRONMENT"] == "production"
