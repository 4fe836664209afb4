"""The page a receiver gets: the signed webhook's JSON body (published as a JSON Schema).

A page carries no patient name and no patient identifier: the phone-sized summary, the episode
link (behind the coordinator's login) and a one-tap acknowledgement link. The email and PagerDuty
channels are rendered from the same shape.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from models.outputs import AlertType, Priority, TimerKind


class PagedAlert(BaseModel):
    """One alert inside a page (a grouped page carries several for one patient)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    alert_id: Annotated[str, Field(description="stable id; an acknowledgement names it")]
    alert_type: AlertType
    priority: Priority
    timer: TimerKind | None = None
    due: AwareDatetime | None = None
    at: AwareDatetime = Field(description="when the pathway raised it (event time)")
    summary: Annotated[str, Field(description="phone-sized text; never a patient name")]
    escalates_alert_id: str | None = None
    ack_url: str = Field(description="one-tap acknowledgement link for this alert only")


class Page(BaseModel):
    """cordwatch.page/1: what the webhook channel POSTs (Idempotency-Key = delivery_id)."""

    model_config = ConfigDict(frozen=True, extra="forbid", title="Page")

    schema_version: Literal["cordwatch.page/1"] = "cordwatch.page/1"
    delivery_id: Annotated[
        str,
        Field(
            description="one per (alert, receiver, tier): the same on every retry, so a "
            "receiver that saw it already can drop the repeat"
        ),
    ]
    alert_id: Annotated[str, Field(description="the lead alert (the most urgent of the page)")]
    alert_type: AlertType
    priority: Priority
    tier: Annotated[int, Field(ge=1, description="1 = first page; 2, 3 = escalations")]
    facility: str | None = None
    episode_id: str
    receiver: Annotated[str, Field(description="the routing file's key of who is paged")]
    role: str
    fallback: bool = Field(False, description="sent to the fallback role: tier receivers failed")
    summary: str
    episode_url: str
    ack_url: str
    sent_at: AwareDatetime
    alerts: Annotated[list[PagedAlert], Field(min_length=1)]
