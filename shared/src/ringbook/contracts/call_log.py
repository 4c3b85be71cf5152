"""The call log's own events (seed 002), written by analytics-service on the ANALYTICS
stream.

Our own calls are already events (CALLS: call_job, conversation, inbound_call); two
kinds of fact about calls are born in analytics-service itself, and are events too, so
that the log can be rebuilt by replay like every other projection (G10):

* ``call_logged`` (aggregate ``logged_call``): a business's own agent reported a call
  through ``POST /api/calls`` with a tenant API key. Its fields are seed 002's body.
* ``call_analyzed`` (aggregate ``call_analysis``): the post-call analysis of one call of
  the log, made by an LLM (or the SIMULATED one offline).

A call of the log has one id, :func:`call_log_id`: for our own calls it is derived from
the carrier's call sid, which every CALLS event of the call carries, so the outbound
call's attempt, its conversation and the carrier's status all land on one row whichever
arrives first; for a logged call it is the ``logged_call`` aggregate's id. The analysis
aggregate's id is :func:`call_analysis_id` of the call's id, so a call has at most one
analysis history; it is not the call's id itself, because a service's event store keys
versions by aggregate id alone, and a logged call's ``call_logged`` already holds
version 1 of that id in analytics-service's store.
"""

from __future__ import annotations

import uuid
from typing import Final, Literal

from pydantic import Field

from ringbook.contracts.catalogue import register
from ringbook.contracts.streams import ANALYTICS
from ringbook.events import EventData

LOGGED_CALL: Final = "logged_call"
CALL_ANALYSIS: Final = "call_analysis"

Sentiment = Literal["POSITIVE", "NEGATIVE", "NEUTRAL"]
SENTIMENTS: Final[tuple[Sentiment, ...]] = ("POSITIVE", "NEGATIVE", "NEUTRAL")

_CALL_NAMESPACE: Final = uuid.UUID("5b0f3c1e-8a2d-4c7e-9f61-2d4a8e7b1c90")
_ANALYSIS_NAMESPACE: Final = uuid.UUID("9c3e7a51-1f0b-4d8e-b6a2-5e0d7c4f8a13")


def call_log_id(call_sid: str) -> uuid.UUID:
    """The log's id of one of our own calls: stable across every event that names the
    call's sid, and across replays."""
    return uuid.uuid5(_CALL_NAMESPACE, call_sid)


def call_analysis_id(call_id: uuid.UUID) -> uuid.UUID:
    """The ``call_analysis`` aggregate's id of the call ``call_id``: stable, and never
    the id of the call's own aggregate."""
    return uuid.uuid5(_ANALYSIS_NAMESPACE, str(call_id))


class CallLogged(EventData):
    """Seed 002's ``POST /api/calls`` body, as accepted: the client is the tenant's own
    (checked before the event is written) and ``api_key_id`` says which key sent it."""

    tenant_id: uuid.UUID
    client_id: uuid.UUID
    api_key_id: uuid.UUID
    caller_phone: str | None = None
    caller_name: str | None = None
    duration_seconds: float = Field(ge=0)
    stt_latency_ms: float | None = Field(default=None, ge=0)
    llm_latency_ms: float | None = Field(default=None, ge=0)
    tts_latency_ms: float | None = Field(default=None, ge=0)
    transcript: str | None = None
    sentiment: Sentiment | None = None
    success: bool = True
    recording_url: str | None = None
    notes: str | None = None


class CallAnalyzed(EventData):
    """What the LLM made of a finished call's transcript. ``extraction`` holds the
    assistant's own extraction fields where it defines some (name -> value)."""

    tenant_id: uuid.UUID
    call_id: uuid.UUID
    summary: str
    sentiment: Sentiment
    success: bool
    extraction: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    model: str


register("call_logged", aggregate=LOGGED_CALL, stream=ANALYTICS, model=CallLogged)
register("call_analyzed", aggregate=CALL_ANALYSIS, stream=ANALYTICS, model=CallAnalyzed)
