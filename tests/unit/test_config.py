"""Settings: defaults that run out of the box, and refusals of unsafe or contradictory values."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from services.config import (
    ConfigError,
    Environment,
    SaslMechanism,
    SecurityProtocol,
    Settings,
    load_settings,
)
from streams.cli import CONFIG_ERROR_STATUS, main

STRONG_KEY = "k" * 40


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's or CI's CORDWATCH_* variables must not change what these tests check.
    for name in [n for n in os.environ if n.startswith("CORDWATCH_")]:
        monkeypatch.delenv(name)


def test_defaults_run_the_embedded_development_setup() -> None:
    settings = Settings()
    assert settings.embedded
    assert settings.partitions == 8
    assert settings.environment is Environment.DEVELOPMENT
    assert settings.data_dir == Path("var")


def test_reads_cordwatch_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORDWATCH_PARTITIONS", "12")
    monkeypatch.setenv("CORDWATCH_KAFKA_BOOTSTRAP", "kafka-1:9092,kafka-2:9092")
    settings = Settings()
    assert settings.partitions == 12
    assert not settings.embedded


@pytest.mark.parametrize("key", ["changeme", "secret", "short-but-random-9f"])
def test_weak_pseudonym_keys_are_refused(key: str) -> None:
    with pytest.raises(ValidationError, match="pseudonym_key"):
        Settings(pseudonym_key=SecretStr(key))


def test_development_without_key_uses_a_random_process_key() -> None:
    first, second = Settings(), Settings()
    assert first.pseudonym_secret() == second.pseudonym_secret()  # stable within the process
    assert len(first.pseudonym_secret()) == 32
    assert Settings(pseudonym_key=SecretStr(STRONG_KEY)).pseudonym_secret() == STRONG_KEY.encode()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"environment": "production", "pseudonym_key": STRONG_KEY},
            "CORDWATCH_KAFKA_BOOTSTRAP",
        ),
        ({"environment": "production", "kafka_bootstrap": "k:9092"}, "CORDWATCH_PSEUDONYM_KEY"),
        (
            {"environment": "production", "kafka_bootstrap": "k:9092", "pseudonym_key": STRONG_KEY},
            "CORDWATCH_ID_KEY",
        ),
        ({"id_key": "changeme"}, "must be a random secret"),
        ({"kafka_security_protocol": "SASL_SSL", "kafka_bootstrap": "k:9093"}, "SASL"),
        ({"kafka_sasl_mechanism": "PLAIN"}, "not SASL"),
        ({"kafka_ssl_certfile": "/tmp/c.pem"}, "go together"),
        ({"replication_factor": 3}, "single node"),
        ({"partitions": 0}, "greater than or equal"),
        ({"log_level": "chatty"}, "log_level"),
        ({"app_id": "has space"}, "app_id"),
    ],
)
def test_contradictory_or_unsafe_values_fail_fast(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(**fields)


def test_sasl_settings_complete() -> None:
    settings = Settings(
        kafka_bootstrap="k:9093",
        kafka_security_protocol=SecurityProtocol.SASL_SSL,
        kafka_sasl_mechanism=SaslMechanism.SCRAM_SHA_512,
        kafka_sasl_username="cordwatch",
        kafka_sasl_password=SecretStr("pw"),
    )
    assert settings.uses_tls
    assert "pw" not in repr(settings)  # secrets never print


def test_log_level_is_normalised() -> None:
    assert Settings(log_level="debug").log_level == "DEBUG"


def test_readme_documents_every_setting() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    missing = [
        f"CORDWATCH_{name.upper()}"
        for name in Settings.model_fields
        if f"`CORDWATCH_{name.upper()}`" not in readme
    ]
    assert missing == [], "add these to the README settings table"


def test_metrics_facilities_are_split_and_capped() -> None:
    from services.config import Settings as _Settings

    settings = _Settings(metrics_facilities="RLH, BAR,,RLH")  # type: ignore[arg-type]
    assert settings.metrics_facilities == ("RLH", "BAR")
    with pytest.raises(ValueError, match="more sites than CORDWATCH_METRICS_MAX_FACILITIES"):
        _Settings(metrics_facilities="A,B,C", metrics_max_facilities=2)  # type: ignore[arg-type]


# Configuration errors (issue 12): one line per problem naming the variable, never a value.

# A marker per secret; each is refused (too short, or contradicting another setting) so that the
# error is about the secret itself, the case where a raw pydantic message would quote it.
_MARKER = "MARKER-{}-7f3a"


def _secret_fields() -> list[str]:
    """Every setting that holds a secret: SecretStr fields, and the database URL (a password)."""
    names = [
        name
        for name, field in Settings.model_fields.items()
        if "SecretStr" in str(field.annotation)
    ]
    return [*names, "database_url"]


def test_the_secret_fields_are_the_known_ones() -> None:
    # A new secret setting is found by annotation; this keeps the finder itself honest.
    assert {"api_token", "pseudonym_key", "id_key", "kafka_sasl_password", "database_url"} <= set(
        _secret_fields()
    )


def _markers(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    markers = {name: _MARKER.format(name) for name in _secret_fields()}
    for name, value in markers.items():
        monkeypatch.setenv(f"CORDWATCH_{name.upper()}", value)
    return markers


def test_every_problem_is_one_line_naming_its_variable_and_no_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    markers = _markers(monkeypatch)
    monkeypatch.setenv("CORDWATCH_PARTITIONS", "0")
    monkeypatch.setenv("CORDWATCH_LOG_LEVEL", "chatty")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    problems = caught.value.problems
    text = "\n".join([str(caught.value), repr(caught.value), *problems])
    for marker in markers.values():
        assert marker not in text
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    named = {p.split(":", 1)[0] for p in problems}
    # the short markers are refused as secrets, each on its own line
    assert {
        "CORDWATCH_PARTITIONS",
        "CORDWATCH_LOG_LEVEL",
        "CORDWATCH_API_TOKEN",
        "CORDWATCH_PSEUDONYM_KEY",
        "CORDWATCH_ID_KEY",
    } <= named
    assert all(p.startswith("CORDWATCH_") and "\n" not in p for p in problems)


def test_sasl_without_a_mechanism_names_it_and_not_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    password = _MARKER.format("sasl")
    monkeypatch.setenv("CORDWATCH_KAFKA_BOOTSTRAP", "k:9093")
    monkeypatch.setenv("CORDWATCH_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("CORDWATCH_KAFKA_SASL_USERNAME", "cordwatch")
    monkeypatch.setenv("CORDWATCH_KAFKA_SASL_PASSWORD", password)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.problems == (
        "CORDWATCH_KAFKA_SASL_MECHANISM: required when CORDWATCH_KAFKA_SECURITY_PROTOCOL is "
        "SASL_SSL",
    )
    assert password not in str(caught.value)


def test_the_command_line_prints_one_line_per_problem_and_exits_ex_config(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    markers = _markers(monkeypatch)
    monkeypatch.setenv("CORDWATCH_ENVIRONMENT", "production")
    monkeypatch.setenv("CORDWATCH_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    assert main(["replay", "-"]) == CONFIG_ERROR_STATUS
    out, err = capsys.readouterr()
    for marker in markers.values():
        assert marker not in out + err
    lines = err.splitlines()
    assert lines
    assert all(line.startswith("cordwatch: configuration: CORDWATCH_") for line in lines)
    assert "Traceback" not in err


def test_a_valid_secret_is_never_in_a_contradiction_either(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Strong values pass their own checks; the contradiction must still not quote them.
    strong = {name: _MARKER.format(name) + "x" * 40 for name in _secret_fields()}
    for name, value in strong.items():
        monkeypatch.setenv(f"CORDWATCH_{name.upper()}", value)
    monkeypatch.setenv("CORDWATCH_KAFKA_SASL_MECHANISM", "PLAIN")  # but not a SASL protocol
    monkeypatch.setenv("CORDWATCH_REPLICATION_FACTOR", "3")  # and the embedded broker
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert len(caught.value.problems) == 2
    for value in strong.values():
        assert value not in str(caught.value)


def test_the_policy_path_is_a_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CORDWATCH_POLICY", str(tmp_path / "policy.yaml"))
    assert load_settings().policy == tmp_path / "policy.yaml"


def test_a_wrong_policy_or_users_file_stops_the_worker_one_line_per_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import yaml

    from services.policy import DEFAULT_POLICY_PATH

    policy = yaml.safe_load(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
    policy["timers"]["steroids"]["window_hours"] = -1
    policy["unknown_section"] = {}
    bad = tmp_path / "policy.yaml"
    bad.write_text(yaml.safe_dump(policy), encoding="utf-8")
    # Both stop `cordwatch worker` before it starts a broker or opens the database.
    for given, variable, count in (
        (Settings(policy=bad, data_dir=tmp_path), "CORDWATCH_POLICY", 2),
        (Settings(policy=tmp_path / "absent.yaml", data_dir=tmp_path), "CORDWATCH_POLICY", 1),
        (
            Settings(users_file=tmp_path / "absent.yaml", data_dir=tmp_path),
            "CORDWATCH_USERS_FILE",
            1,
        ),
    ):
        assert main(["worker"], settings=given) == CONFIG_ERROR_STATUS
        lines = capsys.readouterr().err.splitlines()
        assert len(lines) == count
        assert all(line.startswith(f"cordwatch worker: {variable}: ") for line in lines)
