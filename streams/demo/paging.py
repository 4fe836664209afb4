"""The demo's pages end to end: a local webhook receiver and a local SMTP server (aiosmtpd), a
routing file naming them, and one line per delivery as it lands.

The worker runs the notify role against these receivers. The first critical page is
acknowledged through its one-tap link, so its escalation stops while the others go on to tier 2.
A line names the routing file's person key, the facility, the tier and the time from the alert;
never a patient (pages carry none).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from aiohttp import ClientSession, web

from services.alerts.channels.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from streams.demo.console import Console

# The demo's escalation plan, so a one-minute run shows it: tier 2 after 30 s, tier 3 30 s
# later, no repeats (the packaged plan: 15 and 30 minutes, three repeats).
DEMO_TIER_DELAYS_MINUTES = (0.5, 0.5)
PEOPLE = {
    "spinal-oncall": ("On-call spinal registrar", "registrar"),
    "spinal-consultant": ("On-call spinal consultant", "consultant"),
}
FACILITIES = {"NORTH": "Europe/London", "SOUTH": "America/Chicago", "CITY": "Europe/Berlin"}


def routing(webhook: str) -> dict[str, Any]:
    """Every facility's pages: tier 1 the registrar (webhook and email), 2 and 3 the consultant."""
    shift = {"shifts": [{"days": "all", "from": "00:00", "to": "00:00", "people": []}]}
    rota: dict[str, dict[str, Any]] = {}
    for key, (_, role) in PEOPLE.items():
        rota[role] = {
            site: {"shifts": [{**shift["shifts"][0], "people": [key]}]} for site in FACILITIES
        }
    return {
        "version": 1,
        "facilities": {site: {"timezone": zone} for site, zone in FACILITIES.items()},
        "default_facility": "NORTH",
        "people": {
            "spinal-oncall": {
                "name": PEOPLE["spinal-oncall"][0],
                "contacts": [{"webhook": webhook}, {"email": "spinal-oncall@demo.invalid"}],
            },
            "spinal-consultant": {
                "name": PEOPLE["spinal-consultant"][0],
                "contacts": [{"webhook": webhook}, {"email": "spinal-consultant@demo.invalid"}],
            },
        },
        "routes": [
            {
                "name": "all",
                "match": {},
                "tiers": {1: "registrar", 2: "consultant", 3: "consultant"},
            }
        ],
        "rota": rota,
    }


def write_routing(path: Path, webhook: str) -> Path:
    """The demo's routing file, naming the local webhook receiver."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(routing(webhook)), encoding="utf-8")
    return path


def demo_policy(packaged: Path, into: Path) -> Path:
    """The packaged policy with the demo's short escalation plan (every clinical window kept)."""
    data = yaml.safe_load(packaged.read_text(encoding="utf-8"))
    data["paging"]["tier_delays_minutes"] = list(DEMO_TIER_DELAYS_MINUTES)
    data["paging"]["repeat_times"] = 0
    into.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return into


@dataclass
class DemoPaging:
    """The two receivers, what they saw, and the worker settings that point notify at them."""

    console: Console
    host: str
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    link_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    webhook_port: int = 0
    smtp_port: int = 0
    notify_port: int = 0
    routing_file: Path | None = None
    pages: int = 0
    emails: int = 0
    acknowledged: str | None = None
    _alert_at: dict[str, datetime] = field(default_factory=dict)
    # Escalation page id -> the first page it escalates (followed down the chain).
    _root: dict[str, str] = field(default_factory=dict)
    _escalated: dict[str, int] = field(default_factory=dict)  # first page -> highest tier
    _runner: web.AppRunner | None = None
    _smtp: Any = None
    _loop: asyncio.AbstractEventLoop | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self, *, data_dir: Path, notify_port: int) -> None:
        """Serve the webhook and SMTP on free loopback ports; write the routing file."""
        from aiosmtpd.controller import Controller

        from streams.broker import free_port

        self._loop = asyncio.get_running_loop()
        app = web.Application()
        app.router.add_post("/pages", self._webhook)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        self.webhook_port = free_port(self.host)
        await web.TCPSite(self._runner, self.host, self.webhook_port).start()
        self.smtp_port = free_port(self.host)
        self._smtp = Controller(_Mailbox(self), hostname=self.host, port=self.smtp_port)
        self._smtp.start()
        self.notify_port = notify_port
        webhook = f"http://{self.host}:{self.webhook_port}/pages"
        self.routing_file = write_routing(data_dir / "demo-routing.yaml", webhook)
        self.console.line(
            "paging",
            f"webhook receiver {webhook}, SMTP server {self.host}:{self.smtp_port}; escalation "
            f"after {DEMO_TIER_DELAYS_MINUTES[0] * 60:.0f} s, then "
            f"{DEMO_TIER_DELAYS_MINUTES[1] * 60:.0f} s more (demo plan)",
        )

    def env(self) -> dict[str, str]:
        """The worker's settings for the notify role, pointed at the receivers."""
        assert self.routing_file is not None
        return {
            "CORDWATCH_ROLES": "ingest,pathway,sink,notify",
            "CORDWATCH_ROUTING_FILE": str(self.routing_file),
            "CORDWATCH_WEBHOOK_SECRET": self.secret,
            "CORDWATCH_ACK_LINK_SECRET": self.link_secret,
            "CORDWATCH_SMTP_HOST": self.host,
            "CORDWATCH_SMTP_PORT": str(self.smtp_port),
            # Loopback only: the demo's SMTP server has no certificate. Production requires TLS.
            "CORDWATCH_SMTP_STARTTLS": "false",
            "CORDWATCH_NOTIFY_WEB_PORT": str(self.notify_port),
            "CORDWATCH_PUBLIC_URL": f"http://{self.host}:{self.notify_port}",
        }

    def summary(self) -> None:
        """What the receivers saw: pages, and the acknowledged page against the others."""
        tiers = sorted(self._escalated.values())
        acked = self._escalated.get(self.acknowledged or "", 0)
        self.console.line(
            "paging",
            f"{self.pages} webhook pages and {self.emails} emails received; "
            f"{len(tiers)} unacknowledged critical pages escalated (to tier 2: "
            f"{sum(t >= 2 for t in tiers)}, tier 3: {sum(t >= 3 for t in tiers)})",
        )
        if self.acknowledged is not None:
            outcome = "never escalated" if acked == 0 else f"escalated to tier {acked} (late ack)"
            self.console.line(
                "paging", f"the page acknowledged through its link ({self.acknowledged[:8]}) "
                f"{outcome}"
            )  # fmt: skip

    async def stop(self) -> None:
        """Stop both receivers."""
        if self._smtp is not None:
            self._smtp.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        for task in list(self._tasks):
            task.cancel()

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not verify_signature(
            self.secret.encode(),
            timestamp=request.headers.get(TIMESTAMP_HEADER, ""),
            body=body,
            header=request.headers.get(SIGNATURE_HEADER, ""),
        ):
            self.console.line("paging", "webhook: bad signature, refused", style="red")
            return web.Response(status=401)
        page = json.loads(body)
        lead = page["alerts"][0]
        at = datetime.fromisoformat(lead["at"])
        self._alert_at[page["alert_id"]] = at
        self.pages += 1
        if page["alert_type"] == "escalation" and lead.get("escalates_alert_id"):
            parent = lead["escalates_alert_id"]
            root = self._root.get(parent, parent)
            self._root[page["alert_id"]] = root
            self._escalated[root] = max(self._escalated.get(root, 0), int(page["tier"]))
        self._receipt("webhook", page["receiver"], page["facility"], page, at)
        if (
            self.acknowledged is None
            and page["priority"] == "critical"
            and page["alert_type"] == "mescc_suspected"
        ):
            self.acknowledged = page["alert_id"]
            task = asyncio.create_task(self._acknowledge(page["ack_url"], page["alert_id"]))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return web.Response(status=202)

    def _receipt(
        self, channel: str, receiver: str, facility: str | None, page: dict[str, Any], at: Any
    ) -> None:
        took = f", {(time.time() - at.timestamp()) * 1000:.0f} ms" if at is not None else ""
        name = PEOPLE.get(receiver, (receiver, ""))[0]
        self.console.line(
            "paging",
            f"delivered by {channel} to {name} ({facility or '-'}), {page['alert_type']}, "
            f"tier {page['tier']}{took}",
            style="green",
        )

    async def _acknowledge(self, link: str, alert_id: str) -> None:
        await asyncio.sleep(1.0)  # as a person would: after reading it
        async with ClientSession() as http, http.post(link) as reply:
            ok = reply.status == 200
        self.console.line(
            "paging",
            f"acknowledged {alert_id[:8]} through its one-tap link "
            + ("(its escalation stops; the others go on)" if ok else f"(refused: {reply.status})"),
            style="cyan",
        )

    def email_received(self, raw: bytes) -> None:
        """An email the SMTP server accepted (called on the server's thread)."""
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        subject = str(msg["Subject"] or "")
        to = str(msg["To"] or "").split("@")[0]
        alert_id = str(msg["X-Cordwatch-Alert"] or "")
        raised = str(msg["X-Cordwatch-Raised"] or "")
        # "[Cordwatch CRITICAL] mescc_suspected NORTH (tier 1)": type, facility, tier.
        words = subject.split("] ", 1)[-1].replace("(", "").replace(")", "").split()
        alert_type = words[0] if words else "-"
        tier = words[-1] if words else "-"
        facility = next((w for w in words if w in FACILITIES), None)
        self.emails += 1
        at = datetime.fromisoformat(raised) if raised else self._alert_at.get(alert_id)
        page = {"alert_type": alert_type, "tier": tier}
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._receipt, "email", to, facility, page, at)


class _Mailbox:
    """aiosmtpd's handler: every message is accepted and reported."""

    def __init__(self, paging: DemoPaging) -> None:
        self.paging = paging

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.paging.email_received(envelope.original_content or envelope.content)
        return "250 OK"
