"""Issue 14 end to end on the embedded broker: a review_needed report, then a verdict.

One `cordwatch worker` (ingest, pathway, sink, HTTP API). The report lands in the review queue
(pathway -> cordwatch.episode-changes -> sink -> review_items, read over GET /api/review); a
confirmation posted to the API goes through the outbox onto cordwatch.reviews, passes ingest
like any event and reaches the pathway, which opens the episode with its deadlines from the
REPORT's time and pages mescc_suspected. A dismissal of another patient's item opens nothing.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from services.identity.credentials import token_digest
from tests.integration.pathway.harness import (
    AlertWatch,
    Worker,
    ago,
    publish,
    review_report,
    unique,
    write_policy,
)

pytestmark = [pytest.mark.broker, pytest.mark.slow]

TOKEN = "Jf8q2LmZ7xVb4nRt9sKd3wHc6yPa0gUe"  # the service token: 32 random characters, test only
COORDINATOR_TOKEN = "cw_review-flow-coordinator-token-0123456789"  # test only
AUTH = {"Authorization": f"Bearer {COORDINATOR_TOKEN}"}
SESSION_SECRET = "review-flow-session-secret-0123456789abcdef"  # test only
STEROID_WINDOW_S = 4 * 3600.0
SURGICAL_WINDOW_S = 6 * 3600.0
REPORT_AGE_S = 1800.0  # the report was signed half an hour before anyone confirmed it
# Generous for a 2-core machine shared by the whole suite.
WITHIN_S = 60.0


def users_file(path: Path) -> Path:
    """One coordinator who signs in with an API token (the verdicts need a person)."""
    entry = {"name": "coord.one", "role": "coordinator",
             "token_sha256": token_digest(COORDINATOR_TOKEN)}  # fmt: skip
    path.write_text(yaml.safe_dump({"users": [entry]}), encoding="utf-8")
    return path


async def _json(
    session: aiohttp.ClientSession, method: str, url: str, **kwargs: Any
) -> tuple[int, Any]:
    async with session.request(method, url, headers=AUTH, **kwargs) as response:
        return response.status, await response.json()


async def _until(session: aiohttp.ClientSession, url: str, ready: Any, what: str) -> dict[str, Any]:
    deadline = time.monotonic() + WITHIN_S
    last: Any = None
    while time.monotonic() < deadline:
        status, last = await _json(session, "GET", url)
        if status == 200 and ready(last):
            return last  # type: ignore[no-any-return]
        await asyncio.sleep(0.3)
    raise AssertionError(f"{what} not seen in {WITHIN_S:.0f}s: {last}")


def _in_queue(patient: str) -> Any:
    return lambda body: any(i["patient_id"] == patient for i in body["items"])


async def test_a_confirmed_review_opens_the_episode_from_the_report_time_and_pages(
    broker: str, tmp_path: Path
) -> None:
    policy = write_policy(
        tmp_path / "policy.yaml", steroids_s=STEROID_WINDOW_S, surgical_s=SURGICAL_WINDOW_S
    )
    prefix = unique("rv")
    confirmed, dismissed = f"{prefix}-c", f"{prefix}-d"
    env = {
        "CORDWATCH_API_TOKEN": TOKEN,
        "CORDWATCH_USERS_FILE": str(users_file(tmp_path / "users.yaml")),
        "CORDWATCH_SESSION_SECRET": SESSION_SECRET,
    }
    reported_at = ago(REPORT_AGE_S).replace(microsecond=0)
    async with Worker(broker, unique("review"), policy, tmp_path, env=env).serving(
        within=45.0
    ) as worker:
        async with AlertWatch(broker, prefix) as watch, aiohttp.ClientSession() as session:
            await publish(
                broker,
                [
                    review_report(confirmed, at=reported_at),
                    review_report(dismissed, at=reported_at),
                ],
            )
            await watch.wait_for("review_requested", 2, within=WITHIN_S)
            queue = f"{worker.url}/api/review"
            body = await _until(session, queue, _in_queue(dismissed), "the dismissed item")
            body = await _until(session, queue, _in_queue(confirmed), "the confirmed item")
            items = {i["patient_id"]: i for i in body["items"]}
            item = items[confirmed]
            assert datetime.fromisoformat(item["report_at"]) == reported_at
            assert item["cues"][0]["sentence"].startswith("Metastatic soft tissue")
            assert not watch.of("mescc_suspected")

            base = f"{worker.url}/api/review"
            status, verdict = await _json(
                session, "POST", f"{base}/{item['review_id']}/confirm", json={"note": "read it"}
            )
            assert status == 202, verdict
            status, again = await _json(
                session, "POST", f"{base}/{item['review_id']}/dismiss", json={"reason": "duplicate"}
            )
            assert status == 409, again
            status, _ = await _json(
                session, "POST", f"{base}/{items[dismissed]['review_id']}/dismiss",
                json={"reason": "not_mescc", "note": "clear of the canal"},
            )  # fmt: skip
            assert status == 202

            await watch.wait_for("mescc_suspected", 1, within=WITHIN_S)
            (page,) = watch.of("mescc_suspected")
            assert page["patient_id"] == confirmed
            # Deadlines run from the report's time, not from the confirmation (30 min later).
            assert datetime.fromisoformat(page["due"]) == reported_at + timedelta(
                seconds=STEROID_WINDOW_S
            )
            decided = await _until(
                session, f"{base}/{item['review_id']}", lambda b: b["episode_id"] is not None,
                "the confirmed item's episode",
            )  # fmt: skip
            assert (decided["status"], decided["episode_id"]) == ("confirmed", page["episode_id"])
            assert decided["decided_by"] == "coord.one"
            status, episode = await _json(
                session, "GET", f"{worker.url}/api/episodes/{page['episode_id']}"
            )
            assert status == 200, episode
            assert datetime.fromisoformat(episode["suspected_at"]) == reported_at
            # The confirmed report is the episode's evidence, cue sentence and all.
            [detection] = episode["detections"]
            assert detection["accession"] == f"ACC-{confirmed}"
            assert detection["evidence"][0]["sentence"].startswith("Metastatic soft tissue")
            gone = await _until(
                session, f"{base}/{items[dismissed]['review_id']}",
                lambda b: b["status"] == "dismissed", "the dismissal",
            )  # fmt: skip
            assert (gone["reason"], gone["episode_id"]) == ("not_mescc", None)
            # The dismissed patient was never paged for MESCC, and never will be for this study.
            assert [a for a in watch.messages if a["patient_id"] == dismissed] == [
                a for a in watch.of("review_requested") if a["patient_id"] == dismissed
            ]
        assert await worker.metric("cordwatch_feedback_total", kind="confirmed") == 1
        assert await worker.metric("cordwatch_feedback_total", kind="not_mescc") == 1
