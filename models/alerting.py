"""Shapes of paging: silences, delivery outcomes and the notices the notifier raises itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from models.outputs import TimerKind


class SilenceScope(StrEnum):
    """What a silence covers: one episode, or every episode of one patient."""

    EPISODE = "episode"
    PATIENT = "patient"


@dataclass(frozen=True)
class Silence:
    """Pages for ``target`` are stored, not delivered, from ``created_at`` until it expires or ends.

    ``target`` is an episode id or a patient id (PHI): it stays in the store, never in a log.
    """

    silence_id: str
    scope: SilenceScope
    target: str
    reason: str
    author: str
    created_at: datetime
    expires_at: datetime
    ended_at: datetime | None = None

    def active(self, at: datetime) -> bool:
        """Whether the silence holds at ``at``."""
        end = self.expires_at if self.ended_at is None else min(self.expires_at, self.ended_at)
        return self.created_at <= at < end

    @property
    def ends_at(self) -> datetime:
        """When it stops holding: its expiry, or when someone ended it early."""
        return self.expires_at if self.ended_at is None else min(self.expires_at, self.ended_at)


@dataclass(frozen=True)
class SilenceExpired:
    """A silence ran out while a timer of its episode is still open: someone must look again."""

    silence_id: str
    episode_id: str
    timers: tuple[TimerKind, ...]
    at: datetime


@dataclass(frozen=True)
class OpenEpisode:
    """An open episode as the store holds it, with its unfinished timers (silence notices)."""

    episode_id: str
    patient_id: str  # PHI: never logged; the notice page does not carry it either
    facility: str | None
    priority: str
    timers: tuple[TimerKind, ...]


class DeliveryOutcome(StrEnum):
    """What one delivery attempt came to (stored per attempt, counted by channel)."""

    DELIVERED = "delivered"
    FAILED = "failed"  # this attempt failed; another follows
    GAVE_UP = "gave_up"  # retries exhausted
    SILENCED = "silenced"
    INHIBITED = "inhibited"
    GROUPED = "grouped"  # carried inside another alert's message
    NO_RECEIVER = "no_receiver"
