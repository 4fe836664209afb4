"""`cordwatch worker` for the broker tests, with the reducer tests' stand-in detector.

These tests pin delivery semantics (restart, redelivery, two workers), not report reading: the
stand-in reads its verdict from the report text ("SUSPECT grade=2 ..."), so a change in the real
detector cannot change which alerts these tests expect.
"""

from __future__ import annotations

import sys

from services.config import load_settings
from services.policy import load_policy
from streams.bootstrap import Pathway
from streams.cli.worker_cmd import serve
from tests.unit.pathway.helpers import fake_detect

if __name__ == "__main__":
    settings = load_settings()
    stand_in = Pathway(policy=load_policy(settings.policy), detector=fake_detect)
    sys.exit(serve(settings, pathway=stand_in))
