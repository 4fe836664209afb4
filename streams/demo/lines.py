"""Pure text for the demo's lines: one alert, a span of moments, a wait in words."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

Paint = Callable[[str, str | None], str]
Ref = Callable[[str | None], str]

TYPE_STYLE = {
    "mescc_suspected": "magenta",
    "timer_warning": "yellow",
    "timer_breached": "red",
    "escalation": "alarm",
    "breach_retracted": "green",
    "episode_closed": "dim",
}
PRIORITY_STYLE = {"critical": "red", "high": "yellow", "routine": "dim"}
ALERT_HEADER = (
    f"{'UTC':<8} {'type':<16} {'priority':<8} {'timer':<19} episode     patient"
    "             phone summary"
)


def format_alert(alert: dict[str, Any], *, ref: Ref, paint: Paint) -> str:
    """One line for one alert: time, type, priority, timer, short episode, pseudonym, summary."""
    at = datetime.fromisoformat(alert["at"]).astimezone(UTC)
    kind = alert["alert_type"]
    priority = alert["priority"]
    timer = alert.get("timer") or "-"
    late = " (late)" if alert.get("detected_late") else ""
    summary = " ".join(str(alert.get("summary", "")).split())
    # Catch-up pages are dimmed so the ones firing on time stand out.
    style = "dim" if late else TYPE_STYLE.get(kind)
    return (
        f"{paint('alert  |', 'dim')} {at:%H:%M:%S} "
        f"{paint(f'{kind:<16}', style)} "
        f"{paint(f'{priority:<8}', PRIORITY_STYLE.get(priority))} {timer:<19} "
        f"ep {alert['episode_id'][:8]} {ref(alert.get('patient_id'))}{late}  {summary}"
    )


def when(what: str, moments: list[datetime], *, note: str = "") -> str:
    """`3 deadlines (note): 17:53:09-17:53:20 UTC`."""
    first, last = min(moments).astimezone(UTC), max(moments).astimezone(UTC)
    span = f"at {first:%H:%M:%S}" if first == last else f"{first:%H:%M:%S}-{last:%H:%M:%S}"
    plural = "" if len(moments) == 1 else "s"
    return f"{len(moments)} {what}{plural}{f' ({note})' if note else ''}: {span} UTC"


def span(seconds: float) -> str:
    """A wait in the unit a person would say it in."""
    if seconds < 120:
        return f"{max(seconds, 0):.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
