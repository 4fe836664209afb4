"""The escalation a critical page went through, and what stopped it, is stored and on the
episode timeline (both the audit view and /api/episodes), on SQLite and PostgreSQL: the
reducer's own outputs for a page acknowledged after its tier-2 step and one nobody answered."""

from __future__ import annotations

from models.outputs import Alert, EscalationChanged, Output
from services.audit.browse import episode_detail
from services.audit.episodes import episode_public
from services.store import Store
from tests.unit.pathway.helpers import PATIENT, T0, M, ack, adt, report, step


def _split(outputs: list[Output]) -> tuple[list[Output], list[Alert]]:
    return (
        [o for o in outputs if not isinstance(o, Alert)],
        [o for o in outputs if isinstance(o, Alert)],
    )


def test_the_stop_and_its_reason_are_stored_and_on_the_timeline(store: Store) -> None:
    out: list[Output] = []
    state, more = step(None, report("r1", T0), T0)
    out += more
    state, more = step(state, report("x", T0, "NORMAL", accession="X"), T0 + 15 * M)  # tier 2
    out += more
    first = state.episodes[0].watches[0].alert_id
    state, more = step(state, ack("k1", T0 + 20 * M, first), T0 + 20 * M)
    out += more
    stops = [o for o in more if isinstance(o, EscalationChanged)]
    assert [(c.escalation.stopped, c.escalation.tier) for c in stops] == [("acknowledged", 2)]
    assert PATIENT not in stops[0].model_dump_json(exclude={"patient_id"})
    _, more = step(state, adt("d1", T0 + 30 * M), T0 + 30 * M)  # discharge: nothing to stop
    out += more
    changes, alerts = _split(out)
    store.apply(changes=changes, alerts=alerts)  # type: ignore[arg-type]
    episode_id = state.episodes[0].episode_id
    with store.engine.connect() as conn:
        row = conn.exec_driver_sql(
            "select stopped, tier, steps_sent from escalations where alert_id = %s"
            if conn.dialect.name == "postgresql"
            else "select stopped, tier, steps_sent from escalations where alert_id = ?",
            (first,),
        ).one()
        audit = episode_public(conn, episode_id)
        api = episode_detail(conn, episode_id)
    assert tuple(row) == ("acknowledged", 2, 1)
    assert audit is not None
    assert api is not None
    for timeline in (audit.timeline, api.timeline):
        whats = [e.what for e in timeline]
        assert whats.count("escalation:acknowledged") == 1
        stop = next(e for e in timeline if e.what == "escalation:acknowledged")
        assert stop.at == T0 + 20 * M
    assert [e.at for e in api.timeline] == sorted(e.at for e in api.timeline)
