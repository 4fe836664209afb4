"""A simulated hospital: patient stories as inbound events for a demo or a load test (pure)."""

from services.simulation.feed import (
    DEFAULT_FACILITIES,
    LATE_ARRIVAL,
    FeedConfig,
    FeedConfigError,
    SimMessage,
    generate,
)
from services.simulation.report_common import ReportTruth
from services.simulation.story_types import INBOUND_TOPICS, StoryTruth

__all__ = [
    "DEFAULT_FACILITIES",
    "INBOUND_TOPICS",
    "LATE_ARRIVAL",
    "FeedConfig",
    "FeedConfigError",
    "ReportTruth",
    "SimMessage",
    "StoryTruth",
    "generate",
]
