"""A patients-table value written before contract version 2 still decodes (no dead letters)."""

from __future__ import annotations

import json

from models.state import PatientState

from .helpers import T0, H, med, step

V1_STATE = {
    "patient_id": "MRN-0042",
    "context": {
        "reports": [
            {
                "event_id": "r1",
                "accession": "ACC1",
                "status": "final",
                "occurred_at": T0.isoformat(),
                "suspected": True,
                "excludes": False,
                "detection": {
                    "detection_id": "d-1",
                    "accession": "ACC1",
                    "report_status": "final",
                    "event_id": "r1",
                    "occurred_at": T0.isoformat(),
                    "modality": "MR",
                    "exam": "MRI WHOLE SPINE",
                    "result": {
                        "suspected_mescc": True,
                        "escc_grade": "2",
                        "high_grade": True,
                        "levels": ["T7"],
                        "evidence": [{"field": "escc_grade", "sentence": "Cord compressed at T7."}],
                    },
                },
            }
        ]
    },
    "episodes": [
        {
            "episode_id": "ep-v1",
            "ordinal": 1,
            "suspected_at": T0.isoformat(),
            "opened_by_accession": "ACC1",
            "accessions": ["ACC1"],
            "report_event_ids": ["r1"],
            "score": {
                "score_id": "s-1",
                "computed_at": T0.isoformat(),
                "result": {
                    "sins": {"total": None, "min": 8, "max": 18, "category": "indeterminate"},
                    "escc": {"grade": "2", "high_grade": True},
                    "digest": "0123456789abcdef0123456789abcdef",
                },
            },
        }
    ],
    "recent_event_ids": ["r1"],
}


def test_a_version_1_state_decodes_and_keeps_its_episode_and_redeliveries() -> None:
    state = PatientState.model_validate_json(json.dumps(V1_STATE))
    [report] = state.context.reports
    assert report.view is not None
    assert (report.view.escc_grade, report.view.sentence) == ("2", "Cord compressed at T7.")
    score = state.episodes[0].score
    assert score is not None
    assert score.sins is not None
    assert (score.sins.min, score.sins.max) == (8, 18)
    # A redelivery of an event remembered by its bare id is still a no-op.
    from .helpers import report as make_report

    _again, out = step(state, make_report("r1", T0), T0 + H)
    assert out == []
    # The open episode keeps its version-1 id; care still folds into it.
    state, _ = step(state, med("m1", T0 + H), T0 + H)
    assert [e.episode_id for e in state.episodes] == ["ep-v1"]
    assert {t.status for t in state.episodes[0].timers if t.kind == "steroids"} == {"met"}
