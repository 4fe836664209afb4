"""Silences: which alerts are stored but not delivered, and which expiries need a notice (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from models.alerting import Silence, SilenceExpired, SilenceScope
from models.outputs import Alert, TimerKind


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
) -> list[SilenceExpired]:
    """Silences that stopped holding in (since, now] while a timer of theirs is still open.

    ``open_timers`` maps episode id to its pending or breached timers; ``episodes_of`` maps a
    patient id to its open episode ids (for patient-scope silences). A silence someone ended by
    hand is not "expired": whoever ended it knows.
    """
    found: list[SilenceExpired] = []
    for s in silences:
        if s.ended_at is not None and s.ended_at < s.expires_at:
            continue
        if not since < s.expires_at <= now:
            continue
        episodes = (s.target,) if s.scope == SilenceScope.EPISODE else episodes_of.get(s.target, ())
        for episode_id in episodes:
            timers = open_timers.get(episode_id, ())
            if timers:
                found.append(SilenceExpired(s.silence_id, episode_id, timers, s.expires_at))
    return found
