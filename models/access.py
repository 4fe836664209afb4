"""The access audit's record: who read or did what to which patient-level thing, when, where."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class AccessAction(StrEnum):
    """What the user did; reads of patient-level data and every action are recorded."""

    READ_EPISODE = "read_episode"  # one episode in full (the patient id is in it)
    READ_EPISODES = "read_episodes"  # a page of episodes
    READ_WORKLIST = "read_worklist"  # the worklist page or its data
    EXPORT = "export"
    ACKNOWLEDGE = "acknowledge"
    SILENCE = "silence"
    END_SILENCE = "end_silence"
    RECORD_CARE = "record_care"
    CONFIRM = "confirm"
    DISMISS = "dismiss"
    FEEDBACK = "feedback"
    SIGN_IN = "sign_in"
    SIGN_IN_REFUSED = "sign_in_refused"
    SIGN_OUT = "sign_out"
    DENIED = "denied"  # a known user asked for what their role does not allow
    READ_ACCESS_LOG = "read_access_log"
    READ_SILENCES = "read_silences"  # `cordwatch silence list`: its targets may be patient ids


class AccessOutcome(StrEnum):
    """How the request ended."""

    OK = "ok"
    NOT_FOUND = "not_found"
    REFUSED = "refused"
    FAILED = "failed"


class AccessRecord(BaseModel):
    """One row of the access log (``detail``: counts and reasons, never PHI)."""

    model_config = ConfigDict(frozen=True)

    access_id: str = Field(min_length=1, max_length=40)
    at: AwareDatetime
    user_name: str = Field(max_length=64)
    role: str = Field(max_length=16)
    via: str = Field(max_length=16)
    action: AccessAction
    target_kind: str | None = Field(default=None, max_length=16)
    target_id: str | None = Field(default=None, max_length=64)
    remote: str | None = Field(default=None, max_length=64)
    outcome: AccessOutcome = AccessOutcome.OK
    detail: dict[str, Any] | None = None
