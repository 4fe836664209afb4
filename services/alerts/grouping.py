"""Grouping: alerts for one patient within a short window go out as one message (pure).

The first alert of a group goes out at once (a critical page must not wait for a window); the
ones that follow within ``window`` are held and sent together when it closes, minus warnings a
breach in the same group inhibits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from models.outputs import Alert
from services.alerts.inhibition import split_inhibited


@dataclass(frozen=True)
class Message:
    """What one receiver gets: one or more alerts for one patient."""

    key: str
    alerts: tuple[Alert, ...]
    inhibited: tuple[Alert, ...] = ()

    @property
    def lead(self) -> Alert:
        """The alert the message is named after: the most urgent, then the earliest."""
        rank = {"critical": 0, "high": 1, "routine": 2}
        return min(self.alerts, key=lambda a: (rank[a.priority.value], a.at))


@dataclass(frozen=True)
class _Open:
    opened_at: datetime
    held: tuple[Alert, ...] = ()


@dataclass(frozen=True)
class Groups:
    """Open groups by key (patient, route, tier: the caller decides what may share a message)."""

    window: timedelta
    open: dict[str, _Open] = field(default_factory=dict)

    def offer(self, key: str, alert: Alert, *, now: datetime) -> tuple[Groups, list[Message]]:
        """Add one alert; returns the new state and what to send now."""
        current = self.open.get(key)
        if self.window <= timedelta() or current is None or now >= current.opened_at + self.window:
            ready = self._closed(key, now)
            groups = dict(self.open)
            groups[key] = _Open(opened_at=now)
            return Groups(self.window, groups), [*ready, Message(key, (alert,))]
        groups = dict(self.open)
        groups[key] = _Open(current.opened_at, (*current.held, alert))
        return Groups(self.window, groups), []

    def flush(self, *, now: datetime) -> tuple[Groups, list[Message]]:
        """Close every group whose window has passed; returns what to send."""
        ready: list[Message] = []
        groups = dict(self.open)
        for key, group in self.open.items():
            if now >= group.opened_at + self.window:
                del groups[key]
                ready.extend(_message(key, group.held))
        return Groups(self.window, groups), ready

    def next_flush(self) -> datetime | None:
        """When the next held group is due to go out."""
        due = [g.opened_at + self.window for g in self.open.values() if g.held]
        return min(due) if due else None

    def _closed(self, key: str, now: datetime) -> list[Message]:
        group = self.open.get(key)
        if group is None or now < group.opened_at + self.window:
            return []
        return _message(key, group.held)


def _message(key: str, held: tuple[Alert, ...]) -> list[Message]:
    if not held:
        return []
    kept, dropped = split_inhibited(held)
    return [Message(key, tuple(kept), tuple(dropped))] if kept else []
