"""What the audit returns: summary rows per period, facility and measure, and breached timers.

Intervals are kept in whole seconds here; renderers turn them into hours. Definitions (shown in
every report): the median is the middle value, or the mean of the two middle values when the
count is even; the 90th percentile is the nearest-rank value, the value at rank ceil(0.9 n) of
the n intervals sorted ascending.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict


class Measure(StrEnum):
    """The intervals from suspicion the audit reports."""

    STEROIDS = "steroids"
    SURGICAL_EVALUATION = "surgical_evaluation"
    RADIOTHERAPY = "radiotherapy"
    SURGERY = "surgery"


# Measures with a timer, and so a policy window, compliance, breaches and open timers.
TIMED_MEASURES: frozenset[Measure] = frozenset({Measure.STEROIDS, Measure.SURGICAL_EVALUATION})

DEFINITIONS: dict[str, str] = {
    "period": "UTC calendar day, ISO week (labelled by its Monday) or month of suspected_at",
    "interval": "time from suspected_at to the first qualifying care, whole seconds; "
    "care given before suspicion (steroid lookback) counts as 0",
    "steroids": "steroid timer met_at (timer met or met late)",
    "surgical_evaluation": "surgical-evaluation timer met_at (timer met or met late)",
    "radiotherapy": "first completed procedure radiotherapy_started or sbrt",
    "surgery": "first completed decompressive_surgery, separation_surgery or stabilisation",
    "median": "middle value; mean of the two middle values when n is even",
    "p90": "nearest rank: the value at rank ceil(0.9 n) of the n intervals sorted ascending",
    "compliance": "timers met within the policy window / timers decided (met, met late or "
    "breached); cancelled and still-pending timers are left out",
    "breaches": "timers whose deadline passed unmet (breached, or met late)",
    "retracted": "breach alerts withdrawn because care was later found to precede the deadline",
    "open": "timers still pending",
    "late_by": "met_at - due_at; for a timer still unmet, from due_at to the end of the "
    "report range or now, whichever is earlier",
    "precision": "detector precision per UTC month of the flagged report (review item) or "
    "suspicion (episode): confirmed / (confirmed + not MESCC), each flagged episode or review "
    "item counted once by its latest verdict; confirmed = a review item confirmed or an alert "
    "marked already treated elsewhere; duplicates are counted apart; flags nobody judged are "
    "left out",
    "page": "a first alert to a person (not an escalation, not routine), by the UTC period of "
    "its alert time",
    "delivered": "alert time to the first receipt by any receiver (delivered_at), whole seconds",
    "acknowledged": "alert time to the earliest acknowledgement of the page or of any of its "
    "escalations, whole seconds",
    "unacknowledged_critical": "critical suspected-MESCC and breach pages that neither they nor "
    "any escalation of them were acknowledged when the report was made",
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SummaryRow(_Frozen):
    """One period x facility x measure cell of the audit."""

    period: str
    facility: str
    measure: Measure
    episodes: int
    n: int
    median_s: float | None
    p90_s: int | None
    on_time: int = 0
    decided: int = 0
    breaches: int = 0
    retracted: int = 0
    open: int = 0

    @property
    def compliance(self) -> float | None:
        """Share of decided timers met within the window; None when nothing was decided."""
        return self.on_time / self.decided if self.decided else None


class BreachRow(_Frozen):
    """A timer that ran past its deadline: which episode, what, and by how long."""

    episode_id: str
    facility: str
    suspected_at: AwareDatetime
    measure: Measure
    due_at: AwareDatetime
    met_at: AwareDatetime | None
    status: str
    late_by_s: int


class PrecisionRow(_Frozen):
    """One month x facility of the detector's precision, from people's verdicts."""

    period: str
    facility: str
    confirmed: int
    not_mescc: int
    duplicates: int = 0

    @property
    def precision(self) -> float | None:
        """confirmed / (confirmed + not MESCC); None when nobody said either."""
        judged = self.confirmed + self.not_mescc
        return self.confirmed / judged if judged else None


class PagingRow(_Frozen):
    """One period x facility of paging figures (seconds; None where nothing was measured)."""

    period: str
    facility: str
    pages: int
    delivered_n: int
    delivered_median_s: float | None
    delivered_p90_s: int | None
    acknowledged_n: int
    acknowledged_median_s: float | None
    acknowledged_p90_s: int | None
    critical: int
    unacknowledged_critical: int


class AuditReport(_Frozen):
    """Everything one `cordwatch audit` run shows; no names, no patient ids."""

    since: AwareDatetime
    until: AwareDatetime
    by: str
    facility: str | None
    generated_at: datetime
    rows: list[SummaryRow]
    # The same figures with every facility in scope pooled (facility "(all)"): the run charts.
    overall: list[SummaryRow]
    breaches: list[BreachRow]
    breaches_total: int
    # Per month of what was flagged, per facility then pooled (issue 14).
    precision: list[PrecisionRow] = []
    # Paging measures by period of the alert (issue 13): per facility, then pooled.
    paging: list[PagingRow] = []
