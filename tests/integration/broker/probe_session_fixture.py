"""Run only by test_embedded_broker in a child pytest: records the session broker's address."""

from __future__ import annotations

import os
from pathlib import Path


def test_record_session_broker(broker: str) -> None:
    Path(os.environ["CORDWATCH_PROBE_OUT"]).write_text(broker)
    assert broker.startswith("127.0.0.1:")
