"""The worklist on a real `cordwatch worker` and a real broker: a report opens an episode that
the signed-in coordinator sees; care recorded on the page goes through ingest and the pathway and
meets the steroids clock; an acknowledgement reaches cordwatch.alert-acks; the access log names
the coordinator.

A broker of this module's own: the worker's new consumer group reads from the earliest offset,
and the shared broker holds every earlier test's patients.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from streams.broker import EmbeddedBroker
from tests.integration.pathway.harness import (
    Worker,
    publish,
    read_topic,
    report,
    unique,
    write_policy,
)
from tests.integration.worklist.harness import coordinator_env

pytestmark = [pytest.mark.broker, pytest.mark.slow]

PASSWORD = "coordinator-password-for-the-broker-test"
SESSION_SECRET = "worklist-broker-test-session-secret-0123456789"  # test only
CSRF = re.compile(r"name=csrf_token value='([^']+)'")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def worker(
    own_broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Worker]:
    """The stand-in detector's worker (the reducer tests' `worker_main`) with one coordinator."""
    workdir = tmp_path_factory.mktemp("worklist-worker")
    env = coordinator_env(workdir, name="c.one", display="Coordinator One", password=PASSWORD,
                          session_secret=SESSION_SECRET)  # fmt: skip
    async with Worker(
        own_broker.bootstrap, unique("cw-worklist"),
        write_policy(workdir / "policy.yaml", steroids_s=3600, surgical_s=3600), workdir,
        name="worklist", env=env,
    ).serving() as running:  # fmt: skip
        yield running


async def _page(session: aiohttp.ClientSession, url: str) -> str:
    async with session.get(f"{url}/worklist") as reply:
        assert reply.status == 200, reply.status
        return await reply.text()


async def _until(session: aiohttp.ClientSession, url: str, pattern: str, within: float) -> str:
    deadline = time.monotonic() + within
    while True:
        text = await _page(session, url)
        if re.search(pattern, text):
            return text
        assert time.monotonic() < deadline, f"not on the page within {within:.0f} s: {pattern}"
        await asyncio.sleep(1.0)


async def test_care_and_acknowledgement_from_the_page_go_through_the_stream(
    own_broker: EmbeddedBroker, worker: Worker
) -> None:
    patient = unique("WL")
    await publish(
        own_broker.bootstrap, [report(patient, at=datetime.now(UTC) - timedelta(minutes=5))]
    )
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
    async with aiohttp.ClientSession(cookie_jar=jar, timeout=aiohttp.ClientTimeout(total=60)) as s:
        async with s.get(f"{worker.url}/signin") as reply:
            token = re.search(r"name=signin_token value='([^']+)'", await reply.text())
        assert token is not None
        form = {"name": "c.one", "password": PASSWORD, "signin_token": token.group(1)}
        async with s.post(f"{worker.url}/signin", data=form, allow_redirects=False) as reply:
            assert reply.status == 303
        # The sink writes the episode the pathway opened: the page shows it.
        text = await _until(s, worker.url, re.escape(patient), within=90)
        card = text[text.index(patient) :]
        episode = re.search(r"/worklist/episodes/([^/]+)/care", card)
        alert = re.search(r"/worklist/alerts/([^/]+)/ack", card)
        found = CSRF.search(text)
        assert episode is not None
        assert alert is not None
        assert found is not None
        csrf = found.group(1)
        given = (datetime.now(UTC) - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M")
        care = {"csrf_token": csrf, "what": "steroids:dexamethasone", "occurred_at": given}
        async with s.post(f"{worker.url}/worklist/episodes/{episode.group(1)}/care", data=care,
                          allow_redirects=False) as reply:  # fmt: skip
            assert reply.status == 303
        async with s.post(f"{worker.url}/worklist/alerts/{alert.group(1)}/ack",
                          data={"csrf_token": csrf}, allow_redirects=False) as reply:  # fmt: skip
            assert reply.status == 303
        # Ingest, the pathway and the sink fold the dose: the steroids clock is met.
        text = await _until(
            s, worker.url, rf"{re.escape(patient)}.*?data-kind='steroids'><span class=label>"
            r"Steroids</span><span class=done>met ", within=90,
        )  # fmt: skip
        assert "acknowledged by Coordinator One" in text[text.index(patient) :]
    acks = await read_topic(own_broker.bootstrap, "cordwatch.alert-acks")
    docs = [json.loads(v) for k, v in acks.records if k == patient.encode()]
    assert [(d["alert_id"], d["acknowledged_by"]) for d in docs] == [
        (alert.group(1), "Coordinator One")
    ]
    drugs = await read_topic(own_broker.bootstrap, "hospital.medication-administrations")
    [(key, value)] = drugs.records
    assert key == patient.encode()
    assert json.loads(value)["source"] == "cordwatch-worklist"
    db = Path(worker.workdir / "audit.db")
    with sqlite3.connect(db) as conn:
        rows = conn.execute("select user_name, action, target_id from access_log").fetchall()
    actions = {(u, a) for u, a, _ in rows}
    assert {("c.one", "sign_in"), ("c.one", "read_worklist"), ("c.one", "record_care"),
            ("c.one", "acknowledge")} <= actions  # fmt: skip
    assert all(patient not in (t or "") for _, _, t in rows)
