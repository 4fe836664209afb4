"""The closing summary: counts, alerts, episodes, what fires next, where the store is."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from streams.demo.console import Console
from streams.demo.feed import FeedMessage, expected_counts
from streams.demo.gateway import GatewayDoors
from streams.demo.hospital import SimCounts
from streams.demo.lines import when
from streams.demo.watcher import AlertWatcher

ALERT_ORDER = (
    "mescc_suspected",
    "timer_warning",
    "timer_breached",
    "escalation",
    "breach_retracted",
    "episode_closed",
)


async def scrape(url: str) -> dict[str, float]:
    """The worker's ingested and dead-letter totals over the inbound and gateway topics."""
    import aiohttp
    from prometheus_client.parser import text_string_to_metric_families

    from streams.topics import GATEWAY_INBOUND, INBOUND

    try:
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            text = await response.text()
    except aiohttp.ClientError:
        return {}
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name in ("cordwatch_events_ingested", "cordwatch_dead_letters"):
            totals[family.name] = sum(
                s.value
                for s in family.samples
                if s.name.endswith("_total")
                and s.labels.get("topic") in (*INBOUND, *GATEWAY_INBOUND)
            )
    return totals


def alert_table(alerts: list[dict[str, Any]]) -> list[str]:
    """The alerts by type and priority, with how many were late, as fixed-width rows."""
    table: dict[str, Counter[str]] = {}
    for alert in alerts:
        row = table.setdefault(alert["alert_type"], Counter())
        row[alert["priority"]] += 1
        row["late"] += bool(alert.get("detected_late"))
    rows = [f"{'alerts':<18}{'critical':>9}{'high':>6}{'routine':>8}{'total':>7}{'late':>6}"]
    known = len(ALERT_ORDER)
    for kind in sorted(table, key=lambda k: ALERT_ORDER.index(k) if k in ALERT_ORDER else known):
        row = table[kind]
        total = row["critical"] + row["high"] + row["routine"]
        rows.append(
            f"{kind:<18}{row['critical']:>9}{row['high']:>6}{row['routine']:>8}"
            f"{total:>7}{row['late']:>6}"
        )
    return rows


def next_to_fire(
    *,
    episodes: dict[str, tuple[int, str]],
    timers: list[tuple[dict[str, Any], str]],
    alerts: list[dict[str, Any]],
    policy: Any,
    later: int,
    now: datetime,
) -> list[str]:
    """What would fire if the demo kept running, from the latest timer snapshots."""
    open_episodes = {e for e, (_, status) in episodes.items() if status == "open"}
    warnings: list[datetime] = []
    deadlines: list[datetime] = []
    escalations: list[datetime] = []
    breach_pages = {
        (a["episode_id"], a.get("timer")): datetime.fromisoformat(a["at"])
        for a in alerts
        if a["alert_type"] == "timer_breached"
    }
    for snap, episode in timers:
        started = datetime.fromisoformat(snap["started_at"])
        due = datetime.fromisoformat(snap["due_at"])
        if snap["status"] == "pending":
            points = [started + (due - started) * f for f in policy.warnings.fractions]
            warnings += [p for p in points if p > now]
            deadlines.append(due)
        elif (
            snap["status"] == "breached"
            and not snap.get("breach_retracted")
            and episode in open_episodes
            and (episode, snap["kind"]) in breach_pages
        ):
            paged = breach_pages[(episode, snap["kind"])]
            escalations += [paged + d for d in policy.escalation_delays if paged + d > now]
    lines = []
    if warnings:
        lines.append(when("timer warning", warnings))
    if deadlines:
        lines.append(when("deadline", deadlines, note="breach unless care is recorded"))
    if escalations:
        minutes = ", ".join(f"{d.total_seconds() / 60:g}" for d in policy.escalation_delays)
        note = f"{minutes} min after each unacknowledged critical page"
        lines.append(when("escalation", escalations, note=note))
    if later:
        lines.append(f"{later} more story events (care, discharges) over the coming days")
    return lines


@dataclass
class Report:
    """The closing summary: counts, alerts, episodes, what fires next, where the store is."""

    feed: list[FeedMessage]
    sim: SimCounts
    watcher: AlertWatcher
    metrics: dict[str, float]
    url: str
    store: str
    policy: Any
    console: Console
    elapsed: float
    gateway: GatewayDoors | None = None

    def show(self) -> bool:
        """Print everything; True when every message came out where it should."""
        out = self.console
        out.raw()
        out.raw(out.paint(f"== after {self.elapsed:.0f} s ==", "bold"))
        ok = self._ingest()
        self._gateway()
        self._alerts()
        self._episodes()
        self._next()
        self._store()
        out.raw("all messages accounted for" if ok else "MISMATCH: see the counts above")
        return ok

    def _ingest(self) -> bool:
        from streams.topics import DEAD_LETTERS, PATIENT_EVENTS

        out, w = self.console, self.watcher
        feed_valid, feed_invalid = expected_counts(self.feed)
        valid = feed_valid + self.sim.valid
        invalid = feed_invalid + self.sim.invalid
        out.raw(
            f"published: {len(self.feed)} example messages, {self.sim.valid + self.sim.invalid} "
            f"simulated ({self.sim.invalid} malformed on purpose)"
        )
        out.raw(f"{PATIENT_EVENTS:<38}{len(w.forwarded):>6} events (expected {valid})")
        out.raw(f"{DEAD_LETTERS:<38}{len(w.dead):>6} dead letters (expected {invalid})")
        reasons = Counter(d.get("reason_code", "?") for d in w.dead)
        if reasons:
            out.raw("  by reason: " + ", ".join(f"{r} {n}" for r, n in sorted(reasons.items())))
        ingested = self.metrics.get("cordwatch_events_ingested", 0.0)
        dead = self.metrics.get("cordwatch_dead_letters", 0.0)
        out.raw(
            f"metrics: cordwatch_events_ingested_total={ingested:.0f} "
            f"cordwatch_dead_letters_total={dead:.0f} at {self.url}/metrics"
        )
        ok = (len(w.forwarded), len(w.dead)) == (valid, invalid)
        return ok and (ingested, dead) == (valid, invalid)

    def _gateway(self) -> None:
        if self.gateway is None or not self.gateway.counts.patients:
            return
        patients = self.gateway.counts.patients
        theirs = Counter(
            a["alert_type"] for a in self.watcher.alerts.values() if a["patient_id"] in patients
        )
        shown = ", ".join(f"{kind} {n}" for kind, n in sorted(theirs.items())) or "none yet"
        self.console.raw(f"through the hospital's own interfaces: {self.gateway.summary()}")
        self.console.raw(
            f"  their alerts, mapped from HL7 and FHIR to the same canonical events: {shown}"
        )

    def _alerts(self) -> None:
        self.console.raw()
        for row in alert_table(list(self.watcher.alerts.values())):
            self.console.raw(row)
        self.console.raw(
            "  (late: raised after its moment had passed, e.g. history arriving in a backlog)"
        )

    def _episodes(self) -> None:
        w = self.watcher
        statuses = Counter(status for _, status in w.episodes.values())
        outcomes = Counter(snap["status"] for _, snap, _ in w.timers.values())
        shown = ", ".join(f"{s.replace('_', ' ')} {n}" for s, n in sorted(statuses.items()))
        self.console.raw()
        self.console.raw(f"episodes opened: {len(w.episodes)} ({shown or 'none'})")
        if outcomes:
            self.console.raw(
                "timers: "
                + ", ".join(f"{s.replace('_', ' ')} {n}" for s, n in sorted(outcomes.items()))
            )

    def _next(self) -> None:
        w = self.watcher
        lines = next_to_fire(
            episodes=w.episodes,
            timers=[(snap, episode) for _, snap, episode in w.timers.values()],
            alerts=list(w.alerts.values()),
            policy=self.policy,
            later=self.sim.later,
            now=datetime.now(UTC),
        )
        self.console.raw()
        if lines:
            self.console.raw("next to fire if it kept running (`cordwatch demo --forever`):")
            for line in lines:
                self.console.raw(f"  {line}")
        else:
            self.console.raw("nothing left to fire: every timer is met, breached or cancelled")

    def _store(self) -> None:
        from sqlalchemy.engine import make_url

        url = make_url(self.store)
        where = url.render_as_string(hide_password=True)
        if url.get_backend_name() == "sqlite" and url.database:
            where += f" ({Path(url.database).resolve()})"
        self.console.raw()
        self.console.raw(f"audit store: {where}: {self._stored()}")
        self.console.raw(
            "  time to treatment from it: .venv/bin/cordwatch audit --by day "
            "(add --episodes for one line per episode)"
        )

    def _stored(self) -> str:
        from sqlalchemy import text

        from services.store.engine import make_engine

        engine = make_engine(self.store)
        try:
            with engine.connect() as connection:
                episodes = connection.execute(text("SELECT count(*) FROM episodes")).scalar_one()
                timers = connection.execute(text("SELECT count(*) FROM timers")).scalar_one()
        except Exception as exc:  # the summary must not fail on a store problem
            return f"not readable ({type(exc).__name__})"
        finally:
            engine.dispose()
        return f"{episodes} episodes, {timers} timers in total (all runs)"
