"""The acknowledgement every path publishes (services.alerts.acks.ack_event), as it travels on
cordwatch.alert-acks, is what the pathway folds: it stops the escalation, whichever path sent it
and whether it names the breach page or an escalation page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from models.events import patient_event_adapter
from models.outputs import AlertType
from services.alerts.acks import ack_event
from services.pathway import handle
from services.policy import parse_policy
from tests.unit.pathway.helpers import (
    PATIENT,
    POLICY,
    T0,
    H,
    M,
    alerts,
    fake_detect,
    report,
    step,
)

DUE = T0 + 24 * H


@pytest.mark.parametrize("via", ["link", "api", "pagerduty", "cli"])
def test_each_path_stops_the_escalation(via: str) -> None:
    state, out = step(None, report("r1", T0), DUE)
    for breach in alerts(out, AlertType.TIMER_BREACHED):
        event = ack_event(
            alert_id=breach.alert_id, patient_id=PATIENT, by="Dr A", at=DUE + M, via=via
        )
        # As on the topic: JSON bytes, parsed by the pathway's own adapter.
        wire = patient_event_adapter.validate_json(event.model_dump_json())
        state, _ = step(state, wire, DUE + M)
    _, out = step(state, report("z", T0, "NORMAL", accession="Z"), DUE + H)
    assert alerts(out, AlertType.ESCALATION) == []


def _two_tier_step() -> Any:
    # The packaged policy escalates once; with two tiers an acknowledgement has something to stop.
    data = POLICY.model_dump(mode="json")
    data["escalation"]["after_minutes"] = [15, 45]
    policy = parse_policy(data)

    def run(state: Any, event: Any, now: datetime) -> Any:
        return handle(state, event, now, policy=policy, detector=fake_detect)

    return run


@pytest.mark.parametrize("acknowledge", [False, True])
def test_acking_the_escalation_page_stops_the_next_tier(acknowledge: bool) -> None:
    run = _two_tier_step()
    state, out = run(None, report("r1", T0), DUE)
    state, out = run(state, report("y", T0, "NORMAL", accession="Y"), DUE + 15 * M)
    escalations = alerts(out, AlertType.ESCALATION)
    assert escalations
    if acknowledge:
        for page in escalations:
            event = ack_event(
                alert_id=page.alert_id, patient_id=PATIENT, by="Dr B", at=DUE + 16 * M, via="link"
            )
            wire = patient_event_adapter.validate_json(event.model_dump_json())
            state, _ = run(state, wire, DUE + 16 * M)
    _, out = run(state, report("z", T0, "NORMAL", accession="Z"), DUE + 45 * M)
    # The control escalates to the second tier; the acknowledged one does not.
    assert bool(alerts(out, AlertType.ESCALATION)) is not acknowledge


def test_the_event_id_is_stable_for_a_retried_publish() -> None:
    one = ack_event(alert_id="a", patient_id=PATIENT, by="Dr A", at=DUE, via="api")
    assert one == ack_event(alert_id="a", patient_id=PATIENT, by="Dr A", at=DUE, via="api")
    assert (
        one.event_id
        != ack_event(alert_id="b", patient_id=PATIENT, by="Dr A", at=DUE, via="api").event_id
    )
