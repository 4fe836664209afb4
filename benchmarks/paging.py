"""Report received -> page delivered at a webhook, against report -> alert in the same run.

    .venv/bin/python -m benchmarks.paging [--rate 50] [--seconds 20] [--partitions 4]

On the embedded broker: a pathway worker (benchmarks.pathway's, real detector) and a
`cordwatch notify` worker paging one webhook receiver served by this process. MESCC-positive
imaging reports of new patients are published to hospital.imaging-reports at `--rate` for
`--seconds`. For each report: the time from its send to its mescc_suspected alert arriving on
cordwatch.alerts (a consumer in this process) and to the signed page arriving at the webhook
(same clock). The baseline is the first figure: what paging adds is the difference, and the
ratio of the two p99s. Figures are printed, never asserted; the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import yaml
from aiohttp import web

from benchmarks.pathway import ALERTS, REPORTS, Arrivals, Child, alerts_of, pct, producer, report
from streams.broker import EmbeddedBroker, ensure_topics, free_port, terminate
from streams.broker import wait_ready as wait_broker

SECRET = "b" * 40


def routing(path: Path, webhook: str) -> Path:
    """Every alert of facility BENCH to one person whose only contact is the webhook."""
    shift = [{"days": "all", "from": "00:00", "to": "00:00", "people": ["oncall"]}]
    data = {
        "version": 1,
        "facilities": {"BENCH": {"timezone": "UTC"}},
        "default_facility": "BENCH",
        "people": {"oncall": {"name": "Bench On-call", "contacts": [{"webhook": webhook}]}},
        "routes": [{"name": "all", "match": {}, "tiers": {1: "registrar"}}],
        "rota": {"registrar": {"BENCH": {"shifts": shift}}},
    }
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


async def run(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="bench-paging-"))
    broker = EmbeddedBroker().start()
    pages: dict[str, float] = {}

    async def hook(request: web.Request) -> web.Response:
        doc = await request.json()
        pages.setdefault(doc["alert_id"], time.time())
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    notify: subprocess.Popen[bytes] | None = None
    pathway: Child | None = None
    try:
        await wait_broker(broker.bootstrap)
        from streams.topics import all_topic_names

        await ensure_topics(
            broker.bootstrap, all_topic_names(), partitions=args.partitions, replication=1
        )
        pathway = Child(
            "pathway",
            bootstrap=broker.bootstrap,
            partitions=args.partitions,
            workdir=workdir,
            BENCH_DETECTOR="real",
        )
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CORDWATCH_")},
            "CORDWATCH_KAFKA_BOOTSTRAP": broker.bootstrap,
            "CORDWATCH_APP_ID": "bench-paging",
            "CORDWATCH_ROUTING_FILE": str(
                routing(workdir / "routing.yaml", f"http://127.0.0.1:{port}/hook")
            ),
            "CORDWATCH_DATABASE_URL": f"sqlite:///{workdir / 'audit.db'}",
            "CORDWATCH_WEBHOOK_SECRET": SECRET,
            "CORDWATCH_NOTIFY_WEB_PORT": "0",
            "CORDWATCH_LOG_LEVEL": "WARNING",
        }
        with (workdir / "notify.log").open("wb") as out:
            notify = subprocess.Popen(  # noqa: ASYNC220 - started once, not awaited
                [str(Path(sys.executable).with_name("cordwatch")), "notify"],
                env=env,
                stdout=out,
                stderr=out,
            )
        sender = await producer(broker.bootstrap)
        prefix = f"pg{int(time.time())}"
        async with Arrivals(
            broker.bootstrap, ALERTS, args.partitions, alerts_of("mescc_suspected", prefix)
        ) as alerts:
            # Warm up both workers: one report must come out as a page before timing starts.
            deadline = time.monotonic() + 180
            n = 0
            while not pages and time.monotonic() < deadline:
                await sender.send_and_wait(
                    REPORTS,
                    key=f"{prefix}w{n}".encode(),
                    value=report(f"{prefix}w{n}", datetime.now(UTC)),
                )
                n += 1
                await asyncio.sleep(2.0)
            if not pages:
                raise SystemExit(f"no page arrived; see {workdir}")
            alerts.reset()
            pages.clear()
            sent: dict[str, float] = {}
            total = int(args.rate * args.seconds)
            start = time.monotonic()
            for i in range(total):
                due = start + i / args.rate
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                patient = f"{prefix}p{i}"
                sent[patient] = time.time()
                await sender.send(
                    REPORTS, key=patient.encode(), value=report(patient, datetime.now(UTC))
                )
            await sender.flush()
            achieved = total / (time.monotonic() - start)
            await alerts.wait(total, 120)
            wait_until = time.monotonic() + 120
            while len(pages) < len(alerts.seen) and time.monotonic() < wait_until:  # noqa: ASYNC110
                await asyncio.sleep(0.1)
        await sender.stop()
        to_alert: list[float] = []
        to_page: list[float] = []
        for alert_id, arrived in alerts.seen.items():
            patient = str(alerts.payloads[alert_id]["patient_id"])
            if patient in sent:
                to_alert.append(arrived - sent[patient])
                if alert_id in pages:
                    to_page.append(pages[alert_id] - sent[patient])
        show(args, total=total, achieved=achieved, to_alert=to_alert, to_page=to_page)
        return 0
    finally:
        if notify is not None:
            terminate(notify, grace=15.0)
        if pathway is not None:
            pathway.stop()
        await runner.cleanup()
        broker.stop()


def show(
    args: argparse.Namespace,
    *,
    total: int,
    achieved: float,
    to_alert: list[float],
    to_page: list[float],
) -> None:
    def ms(values: list[float], q: float) -> str:
        return f"{pct(values, q) * 1000:7.0f} ms" if values else "      - "

    print(
        f"paging benchmark: {total} MESCC reports at {args.rate:g}/s "
        f"(achieved {achieved:.1f}/s), {args.partitions} partitions, embedded broker"
    )
    print(
        f"  report -> alert on cordwatch.alerts  n={len(to_alert):5d}  p50 {ms(to_alert, 0.5)}"
        f"  p99 {ms(to_alert, 0.99)}"
    )
    print(
        f"  report -> page at the webhook        n={len(to_page):5d}  p50 {ms(to_page, 0.5)}"
        f"  p99 {ms(to_page, 0.99)}"
    )
    if to_alert and to_page:
        print(
            f"  page/alert ratio (same run): p50 {pct(to_page, 0.5) / pct(to_alert, 0.5):.2f}"
            f"  p99 {pct(to_page, 0.99) / pct(to_alert, 0.99):.2f}; pages missing: "
            f"{len(to_alert) - len(to_page)}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--partitions", type=int, default=4)
    args = parser.parse_args()
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
