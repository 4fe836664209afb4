"""The acknowledgement every path publishes (services.alerts.acks.ack_event), as it travels on
cordwatch.alert-acks, is what the pathway folds: it stops the escalation, whichever path sent it
and whether it names the first page or an escalation of it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from models.events import patient_event_adapter
from models.outputs import AlertType
from services.alerts.acks import ack_event
from tests.unit.pathway.helpers import (
    PATIENT,
    T0,
    H,
    M,
    alerts,
    report,
    step,
)

DUE = T0 + 24 * H


def _acked(state: Any, alert_id: str, *, via: str, at: datetime) -> Any:
    event = ack_event(alert_id=alert_id, patient_id=PATIENT, by="Dr A", at=at, via=via)
    # As on the topic: JSON bytes, parsed by the pathway's own adapter.
    wire = patient_event_adapter.validate_json(event.model_dump_json())
    state, _ = step(state, wire, at)
    return state


@pytest.mark.parametrize("via", ["link", "api", "pagerduty", "cli"])
def test_each_path_stops_the_escalation(via: str) -> None:
    state, out = step(None, report("r1", T0), DUE)
    for page in [*alerts(out, AlertType.TIMER_BREACHED), *alerts(out, AlertType.MESCC_SUSPECTED)]:
        state = _acked(state, page.alert_id, via=via, at=DUE + M)
    _, out = step(state, report("z", T0, "NORMAL", accession="Z"), DUE + H)
    assert alerts(out, AlertType.ESCALATION) == []


@pytest.mark.parametrize("acknowledge", [False, True])
def test_acking_the_tier_2_page_stops_tier_3(acknowledge: bool) -> None:
    state, out = step(None, report("r1", T0), T0)
    state, out = step(state, report("y", T0, "NORMAL", accession="Y"), T0 + 15 * M)
    [tier2] = alerts(out, AlertType.ESCALATION)
    assert tier2.tier == 2
    if acknowledge:
        state = _acked(state, tier2.alert_id, via="link", at=T0 + 16 * M)
    _, out = step(state, report("z", T0, "NORMAL", accession="Z"), T0 + 45 * M)
    # The control escalates to tier 3; the acknowledged one does not.
    assert [a.tier for a in alerts(out, AlertType.ESCALATION)] == ([] if acknowledge else [3])


def test_the_event_id_is_stable_for_a_retried_publish() -> None:
    one = ack_event(alert_id="a", patient_id=PATIENT, by="Dr A", at=DUE, via="api")
    assert one == ack_event(alert_id="a", patient_id=PATIENT, by="Dr A", at=DUE, via="api")
    assert (
        one.event_id
        != ack_event(alert_id="b", patient_id=PATIENT, by="Dr A", at=DUE, via="api").event_id
    )
