"""Inhibition: a breach makes that timer's undelivered warnings pointless (pure)."""

from __future__ import annotations

from collections.abc import Iterable

from models.outputs import Alert, AlertType


def inhibits(cause: Alert, alert: Alert) -> bool:
    """Whether ``cause`` (a breach) inhibits delivery of ``alert`` (a warning of the same timer)."""
    return (
        cause.alert_type == AlertType.TIMER_BREACHED
        and alert.alert_type == AlertType.TIMER_WARNING
        and cause.episode_id == alert.episode_id
        and cause.timer is not None
        and cause.timer == alert.timer
    )


def inhibitor_of(alert: Alert, known: Iterable[Alert]) -> Alert | None:
    """The first alert in ``known`` that inhibits ``alert``; None when it may go out."""
    return next((c for c in known if inhibits(c, alert)), None)


def split_inhibited(pending: Iterable[Alert]) -> tuple[list[Alert], list[Alert]]:
    """(kept, inhibited): warnings a breach in the same batch makes moot are dropped."""
    items = list(pending)
    kept = [a for a in items if inhibitor_of(a, items) is None]
    dropped = [a for a in items if inhibitor_of(a, items) is not None]
    return kept, dropped
