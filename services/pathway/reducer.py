"""The pathway reducer: one patient's state and one event in, the new state and outputs out.

Pure and deterministic: no I/O, no clock (``now`` is passed in), no logging. Facts are folded
into the patient context first; then every episode is re-derived from the facts by clinical time
and reconciled with what was stored, so that outcomes do not depend on arrival order. Deadlines
are also fired lazily, before and after the event, so the Faust worker (TimerDue from the timer
service) and the replay driver (TimerDue at each deadline) reach the same outputs.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from models.events import (
    AdtEvent,
    AlertAcknowledged,
    AssessmentEvent,
    ConsultEvent,
    ImagingReport,
    MedicationAdministration,
    PatientEvent,
    ProcedureEvent,
    ReviewConfirmed,
    ReviewDismissed,
    TimerDue,
)
from models.outputs import (
    AlertType,
    EpisodeStatus,
    Output,
    Priority,
    ScoreSnapshot,
    TimerKind,
)
from models.state import (
    MAX_RECENT_EVENT_IDS,
    CareRecord,
    Episode,
    PatientState,
    StoredScore,
    Timer,
)
from services import ids
from services.pathway import emit, paging, reviews
from services.pathway import patient_context as ctx
from services.pathway.bounds import bound
from services.pathway.emit import Run, Scorer
from services.pathway.episodes import (
    ClinicalView,
    EpisodeShape,
    clinical_view,
    derive_episodes,
    score_input,
)
from services.pathway.intake import intake
from services.pathway.reports import Detector, report_fact
from services.pathway.timers import (
    WITHDRAWN,
    AlertIntent,
    fire,
    new_timer,
    next_deadline,
    next_due,
    resolve,
    transition,
)
from services.policy import Policy

# SINS 7-12 "potentially unstable" and 13-18 "unstable" both warrant a surgical opinion
# (Fisher et al., Spine 2010;35:E1221); with ESCC 2-3 or retropulsion they page as critical.
CRITICAL_SINS = 7


def _default_detector() -> Detector:
    from services.detection import detect

    return detect


def _default_scorer() -> Scorer:
    from services.scoring import score

    return score


def handle(
    state: PatientState | None,
    event: PatientEvent,
    now: datetime,
    *,
    policy: Policy,
    detector: Detector | None = None,
    scorer: Scorer | None = None,
    received_at: datetime | None = None,
    page_after: datetime | None = None,
    id_key: bytes | None = None,
) -> tuple[PatientState, list[Output]]:
    """Fold one event into one patient's state; return the new state and the outputs to send.

    ``received_at`` is when Cordwatch received the event (default ``now``): clinical time is
    clamped to it for every deadline. Events with clinical time before ``page_after`` (the
    ``CORDWATCH_PAGE_AFTER`` setting) or older than the policy's history age page nobody.
    ``id_key`` is the deployment's id secret (``CORDWATCH_ID_KEY``); ids derived from the
    patient id are keyed with it (development key when None).
    """
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    state = state or PatientState(patient_id=event.patient_id)
    before = state
    if state.patient_id != event.patient_id:
        raise ValueError("event and state belong to different patients")  # no ids: PHI
    seen = intake(state, event, arrival=received_at or now, policy=policy, page_after=page_after)
    if isinstance(event, TimerDue):
        if _clock_version(state, event.episode_id, event.timer) != event.version:
            return state, []  # the stored state moved on since the scanner looked: stale
    elif seen.redelivered:
        return state, []  # redelivered: at-least-once delivery makes this routine
    elif seen.fact_id != event.event_id or seen.clamped or seen.clinical_at != event.occurred_at:
        # Fold under the key and the clinical time the intake decided (the reported time is kept).
        event = event.model_copy(update={"event_id": seen.fact_id, "occurred_at": seen.clinical_at})
    run = Run(
        patient_id=state.patient_id,
        facility=event.facility or state.facility,
        now=now,
        policy=policy,
        scorer=scorer or _default_scorer(),
        detected_late=isinstance(event, TimerDue) and event.detected_late,
        page_after=page_after,
        id_key=id_key or ids.DEVELOPMENT_ID_KEY,
    )
    # Deadlines that passed before this event are fired first, as the replay clock would; their
    # pages are rendered with the call's others, so they quote what is stored after the event.
    upcoming = next_deadline(state)
    if upcoming is not None and upcoming <= now:
        state = _reconcile(state, run, rescore=False)
    run.historic = seen.historic  # only the event's own consequences are history
    # Episodes before the horizon were archived with their facts: a late report or departure
    # from then cannot move them any more (issue 11, finding 1: bounded state).
    before_horizon = state.horizon is not None and event.occurred_at < state.horizon
    rescore = False
    context = state.context
    items_before = state.reviews
    match event:
        case ImagingReport():
            read = detector or _default_detector()
            fact, run.detection = report_fact(event, read, seen.reported_at, id_key=run.id_key)
            fact = reviews.confirmed_fact(fact, accessions=reviews.confirmed_accessions(state))
            if not before_horizon:
                context = ctx.fold_report(context, fact)
            rescore = True
        case MedicationAdministration() | ConsultEvent() | ProcedureEvent():
            record = ctx.care_record(event, policy=policy, reported_at=seen.reported_at)
            context, record = ctx.fold_care(context, record)
            _emit_care(run, state, record)
        case AssessmentEvent():
            context = ctx.fold_assessment(context, event)
            rescore = True
        case AdtEvent():
            context = ctx.fold_adt(context, event, departures=not before_horizon)
            rescore = bool(event.diagnoses)
        case ReviewConfirmed() | ReviewDismissed():
            state, context = reviews.fold_verdict(state, context, event)
            rescore = isinstance(event, ReviewConfirmed)
        case AlertAcknowledged():
            state = _acknowledge(state, event.alert_id, at=event.occurred_at)
        case TimerDue():
            pass
    settled = {e.episode_id for e in state.episodes if e.status != EpisodeStatus.OPEN}
    state = state.model_copy(update={"context": context, "facility": run.facility})
    state = _reconcile(state, run, rescore=rescore)
    if isinstance(event, ImagingReport) and not run.historic:
        state = reviews.request_review(state, run, event)
    state = reviews.settle(state, run, before=items_before)
    emit.render_pending(run, {e.episode_id: e for e in state.episodes})
    state = bound(state, now=now, policy=policy, settled=settled)
    emit.emit_escalations(run, before, state)
    if not isinstance(event, TimerDue):
        recent = (*state.recent_event_ids, seen.seen_key)[-MAX_RECENT_EVENT_IDS:]
        state = state.model_copy(update={"recent_event_ids": recent})
    return state, run.outputs


def _clock_version(state: PatientState, episode_id: str, name: str) -> int | None:
    """The stored version of the timer or escalation a TimerDue names (None: gone)."""
    for episode in state.episodes:
        if episode.episode_id == episode_id:
            clocks = [(t.kind.value, t.version) for t in episode.timers]
            clocks += [(w.key, w.version) for w in episode.watches]
            return next((v for n, v in clocks if n == name), None)
    return None


def _acknowledge(state: PatientState, alert_id: str, *, at: datetime) -> PatientState:
    """Stop the escalation this page belongs to (its first page or any escalation of it)."""
    episodes = []
    for episode in state.episodes:
        watches = tuple(
            paging.acknowledge(w, episode_id=episode.episode_id, alert_id=alert_id, at=at)
            for w in episode.watches
        )
        episodes.append(episode.model_copy(update={"watches": watches}))
    return state.model_copy(update={"episodes": tuple(episodes)})


def _in_window(record: CareRecord, episode: Episode, policy: Policy) -> bool:
    since = episode.suspected_at - policy.lookback_window
    until = episode.closed_at
    return record.occurred_at >= since and (until is None or record.occurred_at <= until)


def _emit_care(run: Run, state: PatientState, record: CareRecord) -> None:
    for episode in state.episodes:
        if _in_window(record, episode, run.policy):
            emit.emit_care_record(run, episode, record)


def _reconcile(state: PatientState, run: Run, *, rescore: bool) -> PatientState:
    """Re-derive every episode from the facts and emit what changed."""
    episodes = list(state.episodes)
    shapes = derive_episodes(state.context)
    # Fewer derived episodes than stored: a late report joined two into one (its preliminary
    # suspected the study that seemed to rule the first out). The surplus one is closed as
    # superseded so that its timers cannot page for an episode that no longer exists.
    shapes += [_superseded(e) for e in episodes[len(shapes) :]]
    # Ordinals only grow: an archived episode's id is never given to a new one.
    ordinal = max(state.next_ordinal, max((e.ordinal for e in episodes), default=0) + 1)
    for index, shape in enumerate(shapes):
        old = episodes[index] if index < len(episodes) else None
        episode = _reconcile_episode(state, old, shape, ordinal, run, rescore=rescore)
        if old is None:
            episodes.append(episode)
            ordinal += 1
        else:
            episodes[index] = episode
    return state.model_copy(update={"episodes": tuple(episodes), "next_ordinal": ordinal})


def _superseded(episode: Episode) -> EpisodeShape:
    return EpisodeShape(
        suspected_at=episode.suspected_at,
        opened_by_accession=episode.opened_by_accession,
        accessions=episode.accessions,
        report_event_ids=(),
        # An episode that had closed keeps its outcome; an open one is closed as superseded.
        status=EpisodeStatus.CLOSED if episode.status == EpisodeStatus.OPEN else episode.status,
        closed_at=episode.closed_at or episode.suspected_at,
        close_reason=episode.close_reason or "superseded",
    )


def _reconcile_episode(
    state: PatientState,
    old: Episode | None,
    shape: EpisodeShape,
    ordinal: int,
    run: Run,
    *,
    rescore: bool,
) -> Episode:
    episode_id = (
        old.episode_id
        if old is not None
        else ids.episode_id(run.patient_id, ordinal, key=run.id_key)
    )
    members = set(shape.report_event_ids)
    view = clinical_view(tuple(r for r in state.context.reports if r.event_id in members))
    base = old or Episode(
        episode_id=episode_id,
        ordinal=ordinal,
        suspected_at=shape.suspected_at,
        opened_by_accession=shape.opened_by_accession,
        facility=run.facility,
        quiet=run.historic or (run.page_after is not None and shape.suspected_at < run.page_after),
    )
    score, score_version, full_score = base.score, base.score_version, None
    if old is None or (rescore and shape.status == EpisodeStatus.OPEN):
        score, score_version, full_score = _rescore(
            run, state, base, view, shape, score, score_version
        )
    episode = base.model_copy(
        update={
            "status": shape.status,
            "suspected_at": shape.suspected_at,
            "opened_by_accession": shape.opened_by_accession,
            "accessions": shape.accessions,
            "closed_at": shape.closed_at,
            "close_reason": shape.close_reason,
            "escc_grade": view.escc_grade,
            "high_grade": view.high_grade,
            "levels": view.levels,
            "retropulsion": view.retropulsion,
            "cord_signal": view.cord_signal,
            "evidence_sentence": view.evidence_sentence,
            "report_event_ids": shape.report_event_ids,
            "score": score,
            "score_version": score_version,
            "priority": _priority(view.any_high_grade or view.any_retropulsion, score),
        }
    )
    intents: list[AlertIntent] = []
    withdrawn = episode.close_reason == WITHDRAWN
    match (old.status if old is not None else None, episode.status):
        case (None, _) if withdrawn:
            pass  # withdrawn before anyone was paged: the coordinator's views still show it
        case (None, _):
            intents.append(AlertIntent(AlertType.MESCC_SUSPECTED, None))
            if episode.status != EpisodeStatus.OPEN:
                intents.append(AlertIntent(AlertType.EPISODE_CLOSED, None))
        case (EpisodeStatus.OPEN, EpisodeStatus.RULED_OUT | EpisodeStatus.CLOSED):
            closed = AlertType.FINDING_WITHDRAWN if withdrawn else AlertType.EPISODE_CLOSED
            intents.append(AlertIntent(closed, None))
        case _:
            pass
    if _wakes(run, old, episode, members):
        # A live positive report joining an episode that history opened quietly is today's
        # finding and nobody was paged for it: page now, and its deadlines from here on.
        episode = episode.model_copy(update={"quiet": False})
        base = base.model_copy(update={"quiet": False})
        intents.append(AlertIntent(AlertType.MESCC_SUSPECTED, None))
    timers, timer_intents, changed_timers = _reconcile_timers(run, state, base, episode, old)
    episode = episode.model_copy(update={"timers": timers})
    paged = not (run.historic or episode.quiet)  # history is folded, not paged
    episode, watch_intents = _reconcile_watches(
        run, episode, [*intents, *timer_intents] if paged else []
    )
    intents = paging.with_tiers(intents, base.watches)
    timer_intents = paging.with_tiers(timer_intents, base.watches)
    if old is not None and emit.episode_snapshot(episode) != emit.episode_snapshot(old):
        episode = episode.model_copy(update={"version": old.version + 1})
    if old is None or episode.version != old.version:
        emit.emit_episode(run, episode)
    # This event's report is recorded, with its full evidence, in the episode it lands in; the
    # state keeps only the compact view (evidence once, in the change: issue 11, finding 1).
    new = run.detection
    if new is not None and new.event_id in members and run.recorded is None:
        emit.emit_detection(run, episode, new)
        run.recorded = episode.episode_id
    if old is None:
        for record in state.context.care.values():
            if record.counts_for is not None and _in_window(record, episode, run.policy):
                emit.emit_care_record(run, episode, record)
    if full_score is not None:
        emit.emit_score(run, episode, full_score, score_version)
    for timer in changed_timers:
        emit.emit_timer(run, episode, timer)
    if paged:
        for intent in (*intents[:1], *timer_intents, *watch_intents, *intents[1:]):
            run.pending.append((episode.episode_id, intent))
    return episode


def _reconcile_watches(
    run: Run, episode: Episode, new_pages: list[AlertIntent]
) -> tuple[Episode, list[AlertIntent]]:
    """Advance or stop each escalation, then start one for each new page that escalates."""
    intents: list[AlertIntent] = []
    watches = []
    for watch in episode.watches:
        watch, found = paging.advance(
            watch, episode=episode, now=run.now, policy=run.policy, late_flag=run.detected_late
        )
        watches.append(watch)
        intents += found
    opened = paging.open_watches(
        watches, new_pages, episode=episode, now=run.now, policy=run.policy
    )
    return episode.model_copy(update={"watches": opened}), intents


def _wakes(run: Run, old: Episode | None, episode: Episode, members: set[str]) -> bool:
    """Whether this live event's positive report joins an open episode history kept quiet."""
    new = run.detection
    return (
        old is not None
        and old.quiet
        and not run.historic
        and episode.status == EpisodeStatus.OPEN
        and new is not None
        and new.event_id in members
        and new.result.get("suspected_mescc") is True
    )


def _rescore(
    run: Run,
    state: PatientState,
    episode: Episode,
    view: ClinicalView,
    shape: EpisodeShape,
    score: StoredScore | None,
    version: int,
) -> tuple[StoredScore | None, int, ScoreSnapshot | None]:
    """(stored scores, version, full scores to emit or None when unchanged)."""
    try:
        inputs = score_input(state.context, view, suspected_at=shape.suspected_at)
        result = run.scorer(inputs)
    except ValueError:
        # Inputs the scorer rejects must not stop the timers: keep the last scores.
        return score, version, None
    dumped = result.model_dump(mode="json", exclude={"explanation"})
    digest = hashlib.sha256(json.dumps(dumped, sort_keys=True).encode()).hexdigest()[:16]
    if score is not None and score.digest == digest:
        return score, version, None
    score_id = ids.score_id(episode.episode_id)
    full = ScoreSnapshot(score_id=score_id, computed_at=run.now, result=dumped)
    # The state keeps what priority and pages read plus a digest; the full result (advice text
    # and all) goes to the sink once, which keeps a changelog record a few kB smaller.
    stored = StoredScore(
        score_id=score_id,
        computed_at=run.now,
        sins=result.sins,
        escc_grade=result.escc.grade,
        digest=digest,
    )
    return stored, version + 1, full


def _priority(flagged: bool, score: StoredScore | None) -> Priority:
    sins = score.sins if score is not None else None
    unstable = sins is not None and (
        (sins.total is not None and sins.total >= CRITICAL_SINS) or sins.min >= CRITICAL_SINS
    )
    return Priority.CRITICAL if flagged or unstable else Priority.HIGH


def _reconcile_timers(
    run: Run, state: PatientState, base: Episode, episode: Episode, old: Episode | None
) -> tuple[tuple[Timer, ...], list[AlertIntent], list[Timer]]:
    timers: list[Timer] = []
    intents: list[AlertIntent] = []
    changed: list[Timer] = []
    is_open = episode.status == EpisodeStatus.OPEN
    for kind in TimerKind:
        stored = base.timer(kind)
        before = stored or new_timer(episode.episode_id, kind, episode.suspected_at, run.policy)
        resolved = resolve(
            before,
            suspected_at=episode.suspected_at,
            closed_at=episode.closed_at,
            close_reason=episode.close_reason,
            records=state.context.care.values(),
            now=run.now,
            policy=run.policy,
        )
        late = run.detected_late or run.now - resolved.due_at > run.policy.late_after
        timer, found = transition(
            before, resolved, now=run.now, late=late, episode_id=episode.episode_id
        )
        timer, fired = fire(
            timer,
            episode_open=is_open,
            now=run.now,
            policy=run.policy,
            late_flag=run.detected_late,
            episode_id=episode.episode_id,
        )
        timer = timer.model_copy(
            update={"next_due_at": next_due(timer, episode_open=is_open, policy=run.policy)}
        )
        if stored is not None and timer != stored:
            timer = timer.model_copy(update={"version": stored.version + 1})
        if stored is None or emit.timer_snapshot(timer) != emit.timer_snapshot(stored):
            changed.append(timer)
        intents += found + fired
        timers.append(timer)
    return tuple(timers), intents, changed
