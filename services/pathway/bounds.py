"""What a patient's state may keep: bounded by its open episodes and what late events need.

Issue 11, finding 1: a long stay must not grow the state (and the per-event cost) without
limit, and no bound may change an open episode's outcome. So the bounds never touch an open
episode or its facts; they archive the oldest closed episodes (which stay in the audit store)
with the facts that only they needed, drop superseded ghosts once their closure is emitted, and
keep only a small buffer of reports that found nothing and belong to no known study.

Archiving is decided by how long ago an episode closed, never by how many episodes happen to
be closed at the moment: a closure can be transient (a withdrawn finding that a report arriving
later still supports reopens; a late report can merge or split episodes), so a count taken
between two events depends on the order they arrived in, and an archive is irrevocable (its
facts leave and the horizon stops later facts before it from being folded). See ``bound``.
"""

from __future__ import annotations

from datetime import datetime

from models.outputs import EpisodeStatus, TimerKind
from models.state import (
    MAX_COUNTING_RECORDS,
    MAX_EPISODES,
    MAX_UNMATCHED_REPORTS,
    CareRecord,
    Episode,
    PatientState,
    ReportFact,
)
from services.policy import Policy


def bound(state: PatientState, *, now: datetime, policy: Policy, settled: set[str]) -> PatientState:
    """Archive what no event can move any more; never an open episode or its facts.

    The rule, so that outcomes follow event time and not arrival order (DESIGN.md section 3): a
    closed episode stays live, and a late event can still move it, until its closure is older
    than the history age plus the steroid lookback (default 7 d + 48 h) at the time of an event;
    only then is it archived. One exception bounds a pathological stay: while a patient has more
    than ``MAX_EPISODES`` live episodes (twenty within nine days), the oldest closed ones are
    archived early, and only there can the arrival order still change what a late event moves.

    ``settled``: the episodes already closed before this event. Only those are archived, so the
    state that closes an episode still holds it (the replay summary and the worker's census read
    the closed episode once).
    """
    episodes = [e for e in state.episodes if not (_ghost(e) and e.episode_id in settled)]
    next_ordinal = max(state.next_ordinal, max((e.ordinal for e in state.episodes), default=0) + 1)
    horizon = state.horizon
    archived: set[str] = set()
    # Late events older than this are history: they are folded quietly and cannot be expected
    # to move an episode that closed before it.
    stale = now - (policy.history_age + policy.lookback_window)
    while episodes and episodes[0].episode_id in settled and episodes[0].closed_at:
        first = episodes[0]
        # Not "more than N closed": that count includes closures a later-arriving report undoes,
        # so two arrival orders of the same events archived different episodes.
        if (
            len(episodes) <= MAX_EPISODES
            and first.closed_at is not None
            and first.closed_at > stale
        ):
            break
        episodes.pop(0)
        archived.update(first.report_event_ids)
        assert first.closed_at is not None
        horizon = first.closed_at if horizon is None else max(horizon, first.closed_at)
    context = state.context
    reports = tuple(
        r for r in context.reports if r.event_id not in archived and not _before(r, horizon)
    )
    reports = _bound_unmatched(reports)
    update: dict[str, object] = {
        "reports": reports,
        "care": _needed_care(state, episodes, now, policy),
    }
    if horizon is not None:
        since = horizon - policy.lookback_window
        care = update["care"]
        assert isinstance(care, dict)
        update["care"] = {k: c for k, c in care.items() if c.occurred_at >= since}
    if horizon is not None and horizon != state.horizon:
        update["departures"] = tuple(d for d in context.departures if d.occurred_at > horizon)
    return state.model_copy(
        update={
            "episodes": tuple(episodes),
            "context": context.model_copy(update=update),
            "next_ordinal": next_ordinal,
            "horizon": horizon,
        }
    )


def _needed_care(
    state: PatientState, episodes: list[Episode], now: datetime, policy: Policy
) -> dict[str, CareRecord]:
    """The care records an outcome can still depend on: any within the history age and the
    lookback of now (a report arriving that late still pages, and its episode counts them), any
    that no longer counts (a correction is final), and the first few that count for each live
    episode's timers (the earliest meets the timer; the next matter only if it is voided)."""
    since = now - policy.history_age - policy.lookback_window
    keep = {
        k for k, c in state.context.care.items() if c.occurred_at >= since or c.counts_for is None
    }
    for episode in episodes:
        start = episode.suspected_at - policy.lookback_window
        for kind in TimerKind:
            counting = sorted(
                (
                    (c.occurred_at, k)
                    for k, c in state.context.care.items()
                    if c.counts_for == kind
                    and c.occurred_at >= start
                    and (episode.closed_at is None or c.occurred_at <= episode.closed_at)
                ),
            )
            keep.update(k for _, k in counting[:MAX_COUNTING_RECORDS])
    return {k: c for k, c in state.context.care.items() if k in keep}


def _ghost(episode: Episode) -> bool:
    # Closed as superseded by a late report: its closure went out, no fact derives it any more.
    return episode.status != EpisodeStatus.OPEN and not episode.report_event_ids


def _before(report: ReportFact, horizon: datetime | None) -> bool:
    return horizon is not None and report.occurred_at < horizon


def _bound_unmatched(reports: tuple[ReportFact, ...]) -> tuple[ReportFact, ...]:
    """Keep every report that says something, every version of a study that did, and the
    newest few that found nothing (a late preliminary of their study may still arrive). A
    report that found nothing was recorded, with its evidence, in the episode it landed in."""
    studies = {r.accession for r in reports if r.suspected or r.excludes or r.review}
    unmatched = [
        r
        for r in reports
        if not (r.suspected or r.excludes or r.review) and r.accession not in studies
    ]
    if len(unmatched) <= MAX_UNMATCHED_REPORTS:
        return reports
    dropped = {r.event_id for r in unmatched[:-MAX_UNMATCHED_REPORTS]}  # by clinical time
    return tuple(r for r in reports if r.event_id not in dropped)
