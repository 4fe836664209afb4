"""Settings: defaults that run out of the box, and refusals of unsafe or contradictory values."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from services.config import Environment, SaslMechanism, SecurityProtocol, Settings

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
        ({"environment": "production", "pseudonym_key": STRONG_KEY}, "kafka_bootstrap"),
        ({"environment": "production", "kafka_bootstrap": "k:9092"}, "pseudonym_key"),
        (
            {"environment": "production", "kafka_bootstrap": "k:9092", "pseudonym_key": STRONG_KEY},
            "id_key",
        ),
        ({"id_key": "changeme"}, "id_key must be a random secret"),
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
    with pytest.raises(ValueError, match="more sites than metrics_max_facilities"):
        _Settings(metrics_facilities="A,B,C", metrics_max_facilities=2)  # type: ignore[arg-type]
