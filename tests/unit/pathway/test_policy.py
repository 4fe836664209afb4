"""The policy file: cited defaults, normalisation of drug and service names, overrides."""

from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from models.outputs import TimerKind
from services.config import Settings
from services.policy import DEFAULT_POLICY_PATH, PolicyError, load_policy

POLICY = load_policy(DEFAULT_POLICY_PATH)


def test_defaults_match_the_specification_and_every_section_cites_a_source() -> None:
    assert POLICY.window(TimerKind.STEROIDS) == timedelta(hours=24)
    assert POLICY.window(TimerKind.SURGICAL_EVALUATION) == timedelta(hours=24)
    assert POLICY.lookback_window == timedelta(hours=48)
    assert POLICY.warnings.fractions == (0.5, 0.75)
    assert POLICY.escalation_delays == tuple(timedelta(minutes=m) for m in (15, 45, 75, 105, 135))
    assert "NG234" in POLICY.timers[TimerKind.STEROIDS].source
    assert "QS56" in POLICY.timers[TimerKind.SURGICAL_EVALUATION].source
    assert "H02AB" in POLICY.corticosteroids.source


@pytest.mark.parametrize(
    ("name", "route", "atc", "expected"),
    [
        ("Dexamethasone 16 mg tablets", "oral", None, True),
        ("DEXAMETHAZONE", None, None, True),
        ("dexametasone inj", "intravenous", None, True),
        ("Solu-Medrol 125mg", None, None, True),
        ("methylprednisolone sodium succinate", None, None, True),
        ("Prednisone", None, None, True),
        ("Decadron", None, None, True),
        ("study drug", None, "H02AB02", True),
        ("Dexamethasone 0.1% eye drops", None, None, False),
        ("dexamethasone", "ophthalmic", None, False),
        ("Hydrocortisone 1% cream", "topical", None, False),
        ("Ondansetron", None, None, False),
        ("Dextrose 5%", None, None, False),
        ("Metoclopramide", None, None, False),
        ("Dex infusion 0.5 mcg/kg/h", "intravenous", None, False),
        ("Dexmedetomidine", None, None, False),
    ],
)
def test_corticosteroid_names_brands_misspellings_and_codes(
    name: str, route: str | None, atc: str | None, expected: bool
) -> None:
    assert POLICY.is_corticosteroid(name, route=route, atc_code=atc) is expected


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        ("Spine Surgery", True),
        ("spinal surgery", True),
        ("NEUROSURGERY", True),
        ("Neurosurgery - Spine", True),
        ("Orthopaedic Spine", True),
        ("orthopedic spine", True),
        ("Orthopaedics", False),
        ("radiation oncology", False),
        ("medical oncology", False),
    ],
)
def test_surgical_services(service: str, expected: bool) -> None:
    assert POLICY.is_surgical_service(service) is expected


def _write(tmp_path: Path, change: dict) -> Path:
    data = yaml.safe_load(DEFAULT_POLICY_PATH.read_text())
    data["timers"]["steroids"].update(change)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_cordwatch_policy_env_points_at_a_tighter_hospital_policy(tmp_path: Path) -> None:
    path = _write(tmp_path, {"window_hours": 6})
    policy = load_policy(Settings(policy=path).policy)  # CORDWATCH_POLICY, through the settings
    assert policy.window(TimerKind.STEROIDS) == timedelta(hours=6)


def test_invalid_or_missing_policy_fails_fast(tmp_path: Path) -> None:
    with pytest.raises(PolicyError):
        load_policy(_write(tmp_path, {"window_hours": -1}))
    with pytest.raises(PolicyError):
        load_policy(tmp_path / "absent.yaml")


def test_every_steroid_name_and_brand_has_a_dexamethasone_equivalence() -> None:
    from services.policy import load_policy

    policy = load_policy()
    c = policy.corticosteroids
    for name in (*c.names, *c.brands):
        assert policy.dexamethasone_equivalent_mg(name, 10) is not None, name
    assert policy.dexamethasone_equivalent_mg("Dexamethasone", 16) == 16
    assert policy.dexamethasone_equivalent_mg("prednisolone", 40) == 6
    assert policy.dexamethasone_equivalent_mg("hydrocortisone", 100) == 3.75
    assert policy.dexamethasone_equivalent_mg("ondansetron", 8) is None
    assert policy.counts_before_suspicion(16)
    assert not policy.counts_before_suspicion(15.9)
    assert not policy.counts_before_suspicion(None)
