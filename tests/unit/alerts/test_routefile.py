"""Every routing-file problem is reported, each with its own clear line, all at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.alerts.routefile import RouteFileError, load_routing, parse_routing
from tests.unit.alerts.conftest import base


def problems(data: Any) -> tuple[str, ...]:
    with pytest.raises(RouteFileError) as caught:
        parse_routing(data)
    return caught.value.problems


def test_the_shared_file_and_the_deploy_example_are_valid() -> None:
    assert parse_routing(base()).default_facility == "NORTH"
    example = Path(__file__).parents[3] / "deploy" / "routing" / "routing.example.yaml"
    assert len(load_routing(example).routes) == 3


def test_not_a_mapping() -> None:
    assert problems([1, 2]) == ("the file must be a mapping with facilities, people, routes, rota",)


def edit(path: list[Any], value: Any) -> dict[str, Any]:
    data = base()
    node: Any = data
    for key in path[:-1]:
        node = node[key]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


DELETE = object()

CASES = [
    (
        ["colour"],
        "blue",
        "colour: unknown key (expected one of default_facility, facilities, "
        "leave, people, rota, routes, version)",
    ),
    (["version"], 2, "version: must be 1"),
    (["default_facility"], "EAST", "default_facility: 'EAST' is not under facilities"),
    (
        ["facilities", "NORTH", "timezone"],
        "Mars/Olympus",
        "facilities.NORTH.timezone: 'Mars/Olympus' is not a known IANA time zone",
    ),
    (
        ["facilities", "WEST"],
        {"tz": "x"},
        "facilities.WEST.timezone: required (an IANA name such as Europe/London)",
    ),
    (["people", "day", "name"], " ", "people.day.name: required"),
    (
        ["people", "day", "contacts"],
        [],
        "people.day.contacts: at least one of email, webhook, pagerduty",
    ),
    (
        ["people", "day", "contacts"],
        [{"sms": "+44"}],
        "people.day.contacts[0]: unknown channel 'sms' (email, webhook or pagerduty)",
    ),
    (
        ["people", "day", "contacts"],
        [{"email": "a@b.c", "webhook": "https://x"}],
        "people.day.contacts[0]: one channel per entry, e.g. {email: someone@hospital.example}",
    ),
    (
        ["people", "day", "contacts"],
        [{"email": "not-an-address"}],
        "people.day.contacts[0].email: not an email address",
    ),
    (
        ["people", "day", "contacts"],
        [{"webhook": "ftp://engine"}],
        "people.day.contacts[0].webhook: must be an http(s) URL",
    ),
    (
        ["people", "day", "contacts"],
        [{"pagerduty": "short"}],
        "people.day.contacts[0].pagerduty: must be an Events API v2 routing key "
        "(32 letters/digits)",
    ),
    (
        ["people", "day", "contacts"],
        [{"email": ""}],
        "people.day.contacts[0].email: must be a non-empty string",
    ),
    (
        ["rota", "registrar", "NORTH", "shifts", 0, "days"],
        ["mon", "funday"],
        "rota.registrar.NORTH.shifts[0].days: unknown day 'funday' "
        "(mon, tue, wed, thu, fri, sat, sun)",
    ),
    (
        ["rota", "registrar", "NORTH", "shifts", 0, "days"],
        [],
        "rota.registrar.NORTH.shifts[0].days: a list of mon..sun, or all",
    ),
    (
        ["rota", "registrar", "NORTH", "shifts", 0, "from"],
        "8am",
        "rota.registrar.NORTH.shifts[0].from: a local time as HH:MM (00:00 to 23:59)",
    ),
    (
        ["rota", "registrar", "NORTH", "shifts", 0, "people"],
        ["ghost"],
        "rota.registrar.NORTH.shifts[0].people: 'ghost' is not under people",
    ),
    (
        ["rota", "registrar", "NORTH", "shifts", 0, "people"],
        [],
        "rota.registrar.NORTH.shifts[0].people: a list of people's keys",
    ),
    (
        ["rota", "registrar", "NORTH", "shifts"],
        {"a": 1},
        "rota.registrar.NORTH.shifts: must be a list",
    ),
    (
        ["rota", "registrar", "NORTH", "overrides", 0, "to"],
        "2026-12-24T07:00",
        "rota.registrar.NORTH.overrides[0]: to must be after from",
    ),
    (
        ["rota", "registrar", "NORTH", "overrides", 0, "from"],
        "Christmas Eve",
        "rota.registrar.NORTH.overrides[0].from: a date (2026-12-24) or a date and time "
        "(2026-12-24T08:00)",
    ),
    (
        ["rota", "registrar", "EAST"],
        {"shifts": []},
        "rota.registrar.EAST: facility 'EAST' is not under facilities",
    ),
    (["rota", "desk"], {}, "rota.desk: must map facility codes to {shifts, overrides}"),
    (["leave", 0, "person"], "ghost", "leave[0].person: 'ghost' is not under people"),
    (["leave", 0, "cover"], "ghost", "leave[0].cover: 'ghost' is not under people"),
    (
        ["routes", 0, "match", "colour"],
        "red",
        "routes[0].match.colour: unknown key (facility, alert_type, priority or timer)",
    ),
    (
        ["routes", 0, "match", "priority"],
        "urgent",
        "routes[0].match.priority: unknown value 'urgent' (one of critical, high, routine)",
    ),
    (
        ["routes", 0, "match", "facility"],
        ["EAST"],
        "routes[0].match.facility: unknown value 'EAST' (one of NORTH, WEST)",
    ),
    (
        ["routes", 1, "match", "timer"],
        "antibiotics",
        "routes[1].match.timer: unknown value 'antibiotics' (one of steroids, surgical_evaluation, "
        "none)",
    ),
    (
        ["routes", 0, "tiers"],
        {1: "registrar", 3: "consultant"},
        "routes[0].tiers: tiers must be numbered 1, 2, 3 ... without gaps (found [1, 3])",
    ),
    (
        ["routes", 0, "tiers"],
        {"first": "registrar"},
        "routes[0].tiers: tier keys must be numbers 1, 2, 3 ...",
    ),
    (
        ["routes", 0, "tiers", 2],
        "surgeon",
        "routes[0].tiers.2: role 'surgeon' has no rota at facility NORTH",
    ),
    (
        ["routes", 0, "fallback"],
        "porter",
        "routes[0].fallback: role 'porter' has no rota at facility NORTH",
    ),
    (
        ["routes", 2],
        {"name": "only high", "match": {"priority": "high"}, "tiers": {1: "registrar"}},
        "routes: nothing matches facility NORTH, alert_type mescc_suspected, priority routine, "
        "timer none (add a catch-all route last)",
    ),
    (["routes"], [], "routes: a list of {name, match, tiers}, first match wins"),
    (["people"], DELETE, "people: must map each person's key to {name, contacts}"),
]


@pytest.mark.parametrize(("path", "value", "message"), CASES, ids=[c[2][:40] for c in CASES])
def test_each_problem_has_its_message(path: list[Any], value: Any, message: str) -> None:
    assert message in problems(edit(path, value))


def test_every_problem_is_reported_at_once_and_no_contact_is_echoed() -> None:
    data = edit(["version"], 3)
    data["people"]["day"]["contacts"] = [{"email": "secret-address-at-nowhere"}]
    data["facilities"]["WEST"]["timezone"] = "Nowhere/City"
    with pytest.raises(RouteFileError) as caught:
        parse_routing(data)
    assert len(caught.value.problems) == 3
    assert str(caught.value).startswith("routing file: 3 problems\n")
    assert "secret-address" not in str(caught.value)


def test_load_reports_yaml_syntax_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "routing.yaml"
    path.write_text("version: 1\nroutes: [\n  - {name: x\n", encoding="utf-8")
    with pytest.raises(RouteFileError, match=r"is not valid YAML at line \d+"):
        load_routing(path)
    with pytest.raises(RouteFileError, match=r"cannot read .*: FileNotFoundError"):
        load_routing(tmp_path / "missing.yaml")


def test_unquoted_yaml_times_read_as_sexagesimal_still_parse(tmp_path: Path) -> None:
    path = tmp_path / "routing.yaml"
    text = Path(__file__).parents[3].joinpath("deploy/routing/routing.example.yaml").read_text()
    path.write_text(text.replace('"08:00"', "08:00"), encoding="utf-8")
    config = load_routing(path)
    shift = config.rota[("spinal-registrar", "NORTH")].shifts[0]
    assert (shift.start.hour, shift.start.minute) == (8, 0)
