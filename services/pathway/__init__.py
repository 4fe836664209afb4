"""The pathway engine (DESIGN.md section 3): a pure reducer over one patient's events."""

from services.pathway.emit import Scorer
from services.pathway.reducer import handle
from services.pathway.reports import Detector
from services.pathway.timers import due_timers, next_deadline

__all__ = ["Detector", "Scorer", "due_timers", "handle", "next_deadline"]
