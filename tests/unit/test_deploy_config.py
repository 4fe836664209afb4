"""The deployment files agree with the code: metric names, setting names, file references."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from prometheus_client import CollectorRegistry

from services.alerts.metrics import NotifyMetrics
from services.config import Settings
from services.metrics import ClinicalGauges, CordwatchMetrics

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
METRIC = re.compile(r"\b(?:cordwatch|faust)_[a-z_]+\b")


def exported_names() -> set[str]:
    from faust.sensors.prometheus import FaustMetrics

    from streams.agents.deadline_scan import TimerMetrics
    from streams.agents.sink import SinkMetrics
    from streams.pathway_batch import PathwayMetrics

    registry = CollectorRegistry()
    metrics = CordwatchMetrics.create(registry)
    ClinicalGauges.create(registry, facility=metrics.facility)
    FaustMetrics.create(registry, "faust")
    PathwayMetrics.create(registry)
    TimerMetrics.create(registry)
    SinkMetrics.create(registry)
    NotifyMetrics.create(registry)
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
    for path in sorted((PROMETHEUS / "dashboards").glob("*.json")):
        dashboard = json.loads(path.read_text())
        exprs += [t["expr"] for p in dashboard["panels"] for t in p["targets"] if "expr" in t]
    return {expr: set(METRIC.findall(expr)) for expr in exprs}


def test_rules_and_dashboard_use_only_metrics_the_worker_exports() -> None:
    known = exported_names()
    unknown = {expr: names - known for expr, names in referenced_metrics().items() if names - known}
    assert unknown == {}


def test_every_rule_has_severity_summary_and_runbook() -> None:
    rules = yaml.safe_load((PROMETHEUS / "cordwatch-rules.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
            assert rule["annotations"]["summary"], rule["alert"]
            assert len(rule["annotations"]["runbook"]) > 20, rule["alert"]


def test_prometheus_loads_the_rules_file_compose_mounts() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    compose = (ROOT / "docker-compose.yml").read_text()
    for path in config["rule_files"]:
        # Relative to prometheus.yml: beside it in the repo and in the container.
        assert not Path(path).is_absolute()
        assert (PROMETHEUS / path).exists()
        assert f"./deploy/prometheus/{path}:/etc/prometheus/{path}:ro" in compose


def _compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())  # type: ignore[no-any-return]


def test_kafka_writes_its_logs_to_the_mounted_volume() -> None:
    kafka = _compose()["services"]["kafka"]
    mounts = dict(v.split(":", 1) for v in kafka["volumes"])
    assert kafka["environment"]["KAFKA_LOG_DIRS"] == mounts["kafka-data"]


def test_every_required_secret_is_in_env_example() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    required = set(re.findall(r"\$\{([A-Z_]+):\?", text))
    example = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert {"CORDWATCH_API_TOKEN", "POSTGRES_PASSWORD", "GRAFANA_DB_PASSWORD"} <= required
    assert required - example == set()
    assert "CORDWATCH_API_TOKEN" in _compose()["x-cordwatch-env"]


def test_compose_v2_is_named_and_stated() -> None:
    assert _compose()["name"] == "cordwatch"
    assert "Docker Compose v2" in (ROOT / "docker-compose.yml").read_text()


def test_long_running_services_have_healthchecks_and_one_shots_none() -> None:
    services = _compose()["services"]
    for name, service in services.items():
        check = service.get("healthcheck", {})
        if service.get("restart") == "no":  # one-shot: the image's HEALTHCHECK must not apply
            assert name == "db-grants" or check == {"disable": True}, name
        else:
            assert service.get("restart") == "unless-stopped", name
            assert check.get("test"), name
            assert not check.get("disable"), name


def test_the_cordwatch_image_is_built_once() -> None:
    services = _compose()["services"]
    builders = [name for name, service in services.items() if "build" in service]
    assert builders == ["migrate"]
    image = services["migrate"]["image"]
    for name, service in services.items():
        if service.get("image") == image and name != "migrate":
            assert service["pull_policy"] == "never", name
            assert "migrate" in service["depends_on"], name  # built before it starts


def test_compose_sets_only_real_settings() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    env = compose["x-cordwatch-env"]
    fields = {f"CORDWATCH_{name.upper()}" for name in Settings.model_fields}
    assert set(env) - fields == set()
    assert env["CORDWATCH_ENVIRONMENT"] == "production"
    for name, service in compose["services"].items():
        if service.get("image") == "cordwatch:latest":
            names = {k for k in service["environment"] if k.startswith("CORDWATCH_")}
            assert names - fields == set(), name


def test_prometheus_scrapes_every_cordwatch_service_on_its_port() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    [job] = [j for j in config["scrape_configs"] if j["job_name"] == "cordwatch-worker"]
    scraped = {name: sd["port"] for sd in job["dns_sd_configs"] for name in sd["names"]}
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    long_running = {
        name for name, s in services.items()
        if s.get("image") == "cordwatch:latest" and s.get("restart") != "no"
    }  # fmt: skip
    assert set(scraped) == long_running
    assert scraped["notify"] == Settings.model_fields["notify_web_port"].default
    assert scraped["worker"] == 6066
