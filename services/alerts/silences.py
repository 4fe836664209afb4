"""Silences: which alerts are stored but not delivered, and which expiries need a notice (pure)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from models.alerting import OpenEpisode, Silence, SilenceExpired, SilenceScope
from models.outputs import Alert, AlertType, Priority, TimerKind


def silencing(alert: Alert, silences: Iterable[Silence], *, at: datetime) -> Silence | None:
    """The silence that holds this alert at ``at``, if any (the one that ends last)."""
    holding = [s for s in silences if s.active(at) and _covers(s, alert)]
    return max(holding, key=lambda s: s.ends_at) if holding else None


def _covers(silence: Silence, alert: Alert) -> bool:
    if silence.scope == SilenceScope.EPISODE:
        return silence.target == alert.episode_id
    return silence.target == alert.patient_id


def expiry_notices(
    silences: Iterable[Silence],
    *,
    open_timers: Mapping[str, tuple[TimerKind, ...]],
    episodes_of: Mapping[str, tuple[str, ...]],
    since: datetime,
    now: datetime,
    lead: timedelta = timedelta(),
) -> list[SilenceExpired]:
    """Silences whose notice time (``lead`` before they expire) fell in (since, now] while a
    timer of theirs is still open.

    ``open_timers`` maps episode id to its pending or breached timers; ``episodes_of`` maps a
    patient id to its open episode ids (for patient-scope silences). A silence someone ended by
    hand is not "expiring": whoever ended it knows.
    """
    found: list[SilenceExpired] = []
    for s in silences:
        if s.ended_at is not None and (s.ended_at < s.expires_at or s.ended_at <= now):
            continue
        if not since < s.expires_at - lead <= now:
            continue
        episodes = (s.target,) if s.scope == SilenceScope.EPISODE else episodes_of.get(s.target, ())
        for episode_id in episodes:
            timers = open_timers.get(episode_id, ())
            if timers:
                found.append(SilenceExpired(s.silence_id, episode_id, timers, s.expires_at))
    return found


_ACTION = {TimerKind.STEROIDS: "steroids", TimerKind.SURGICAL_EVALUATION: "spinal surgical review"}


def notice_alert(notice: SilenceExpired, episode: OpenEpisode, *, now: datetime) -> Alert:
    """The page that says a silence ends while a clock is open. Its id is derived from the
    silence and episode, so a restarted worker's notice is the same delivery. The silence's
    reason is free text and stays out of the page."""
    digest = hashlib.sha256(
        f"silence-notice/1\n{notice.silence_id}\n{notice.episode_id}".encode()
    ).hexdigest()
    open_now = ", ".join(_ACTION[t] for t in notice.timers)
    ends = notice.at.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ")
    return Alert(
        alert_id=f"silence-{digest[:32]}",
        alert_type=AlertType.SILENCE_EXPIRING,
        priority=Priority.HIGH,  # asks someone to look again, not an emergency
        episode_id=notice.episode_id,
        patient_id=episode.patient_id,
        facility=episode.facility,
        due=notice.at,
        at=now,
        summary=(
            f"SILENCE ENDS {ends}: {open_now} still open for this episode; its pages resume "
            "then. Look again, or extend the silence."
        ),
    )
