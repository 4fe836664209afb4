"""`cordwatch worker` for the broker tests, with the reducer tests' stand-in detector.

These tests pin delivery semantics (restart, redelivery, two workers), not report reading: the
stand-in reads its verdict from the report text ("SUSPECT grade=2 ..."), so a change in the real
detector cannot change which alerts these tests expect.
"""

from __future__ import annotations

import sys

from services.policy import load_policy
from streams.agents import pathway
from streams.cli import main
from tests.unit.pathway.helpers import fake_detect


def _with_stand_in() -> pathway.Pathway:
    return pathway.Pathway(policy=load_policy(), detector=fake_detect)


if __name__ == "__main__":
    pathway.get_pathway = _with_stand_in  # type: ignore[assignment]
    sys.exit(main(["worker"]))
