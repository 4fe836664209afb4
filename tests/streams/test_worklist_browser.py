"""The worklist in headless Chromium (Debian's package, driven by Playwright): sign in, watch a
countdown tick, acknowledge a page, silence another episode, see the page refresh itself when an
alert is acknowledged elsewhere; screenshots checked for content; no console errors.

Chromium comes from /usr/bin/chromium (tests/debian.py installs it when missing and the tests
run as root), launched through ``executable_path``: Playwright downloads no browser.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy.engine import Engine

from services.alerts.acks import AckStore
from services.store import make_engine, upgrade
from services.store.access import AccessLog
from tests.streams.people import name_of, password_of
from tests.streams.worklist_data import Seeded, deliver, seed
from tests.streams.worklist_server import worklist_app
from tests.unit.audit.browser import CHROMIUM, ensure_chromium
from tests.unit.audit.pngcheck import read_png

pytestmark = pytest.mark.slow
playwright_api = pytest.importorskip("playwright.async_api")
# Set to a directory to keep the first screenshot (the README's docs/worklist.png is made so).
SCREENSHOT_DIR = os.environ.get("CORDWATCH_SCREENSHOT_DIR")
HEADER_BLUE = (0x1D, 0x35, 0x57)
MARK_YELLOW = (0xFF, 0xF3, 0xBF)
ACK_RED = (0xA4, 0x16, 0x1A)
COUNTDOWN = re.compile(r"^\d+ h \d\d min \d\d s left$")


@pytest.fixture(scope="module")
def chromium() -> Path:
    reason = ensure_chromium()
    if reason is not None:
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    eng = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    upgrade(engine=eng)
    return eng


@pytest.fixture
async def site(engine: Engine) -> AsyncIterator[tuple[str, Seeded]]:
    now = datetime.now(UTC)
    data = seed(engine, now=now, patients=3, spacing=timedelta(hours=3))
    for alert in data.alerts:
        deliver(engine, alert, receiver="mscc-coordinator", at=now - timedelta(minutes=25))
    app, _ = worklist_app(engine)  # wall clock: the browser counts down against the same time
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield f"http://127.0.0.1:{server.port}", data
    finally:
        await server.close()


def _keep(png: Path) -> None:
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(SCREENSHOT_DIR) / png.name)


async def test_a_coordinator_signs_in_watches_the_clock_acknowledges_and_silences(
    chromium: Path, site: tuple[str, Seeded], engine: Engine, tmp_path: Path
) -> None:
    base, data = site
    problems: list[str] = []
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(chromium),
                                           args=["--no-sandbox", "--disable-gpu"])  # fmt: skip
        page = await browser.new_page(viewport={"width": 1280, "height": 1600})

        def console(message: Any) -> None:
            if message.type in ("error", "warning"):
                problems.append(f"console {message.type}: {message.text}")

        page.on("console", console)
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

        # Anonymous: the worklist sends the browser to sign in.
        await page.goto(f"{base}/worklist")
        assert page.url == f"{base}/signin"
        await page.fill("input[name=name]", name_of("coordinator"))
        await page.fill("input[name=password]", password_of("coordinator"))
        await page.click("button[type=submit]")
        await page.wait_for_url(f"{base}/worklist")
        assert "Signed in as Test Coordinator" in await page.inner_text("header.top")

        # The oldest suspicion has the soonest deadline and comes first; its clock ticks.
        first = page.locator("section.episode").first
        assert await first.locator(".patient").inner_text() == "MRN-W0002"
        clock = first.locator(".clock[data-kind=steroids] .countdown")
        before = await clock.inner_text()
        assert COUNTDOWN.match(before), before
        assert before.startswith("17 h")  # due 24 h after a suspicion 6 h 30 min ago
        await page.wait_for_function(
            "t => document.querySelector('section.episode .countdown').textContent !== t",
            arg=before,
        )
        assert COUNTDOWN.match(await clock.inner_text())
        shot = tmp_path / "worklist.png"
        await page.screenshot(path=str(shot), full_page=False)
        buttons = await page.locator("button.ack").count()
        _keep(shot)

        # Acknowledge the first episode's page.
        # (Its escalations have buttons too: acknowledging the first of them stops the page.)
        await first.locator("button.ack").first.click()
        await page.wait_for_url(re.compile(r"done=ack"))
        assert "Acknowledged: escalation stops." in await page.inner_text(".notice")
        first = page.locator("section.episode").first
        assert "acknowledged by Test Coordinator" in await first.locator(".alerts").inner_text()

        # Silence the second, with a reason and a duration.
        second = page.locator("section.episode").nth(1)
        await second.locator("select[name=hours]").select_option("8")
        await second.locator("input[name=reason]").fill("Patient transferred to the cancer centre")
        await second.locator(".silence-form button").click()
        await page.wait_for_url(re.compile(r"done=silenced"))
        second = page.locator("section.episode").nth(1)
        assert "Patient transferred to the cancer centre" in await second.inner_text()

        # An acknowledgement from elsewhere (a pager): the page reloads itself within a poll.
        third = page.locator("section.episode").nth(2)
        alert_id = await third.locator("tr.alert").first.get_attribute("data-alert-id")
        assert alert_id is not None
        AckStore(engine=engine).record(alert_id, by="Dr On Call", at=datetime.now(UTC))
        await page.wait_for_function(
            "() => document.body.innerText.includes('acknowledged by Dr On Call')", timeout=45_000
        )
        after = tmp_path / "worklist-after.png"
        await page.screenshot(path=str(after), full_page=True)
        buttons_after = await page.locator("button.ack").count()
        await browser.close()

    assert problems == []
    width, _, colours = read_png(shot)
    assert width == 1280
    assert colours[HEADER_BLUE] > 1000  # the header bar
    assert colours[MARK_YELLOW] > 500  # the evidence sentences, highlighted
    assert colours[ACK_RED] > 100  # the Acknowledge buttons
    # Two alerts are acknowledged now (the screenshots differ in height: count the buttons).
    assert buttons_after == buttons - 2
    reads = [r for r in AccessLog(engine=engine).query() if r.action.value == "read_worklist"]
    assert len(reads) >= 4  # the first load, two redirects back and the self-refresh
    assert {r.user_name for r in reads} == {name_of("coordinator")}
    # Three critical pages, each escalated while nobody acknowledged it (issue 13).
    assert sum(a.alert_type == "mescc_suspected" for a in data.alerts) == 3
