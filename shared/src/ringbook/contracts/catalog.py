"""Events of the ``catalog`` context: what businesses configure (seeds 001 and 002).

catalog-service writes them; media-bridge (a number's assistant, tools and knowledge)
and call-orchestrator (a number's owner and business hours) keep their own projections,
so a call never waits on catalog-service.

Rules every consumer may rely on:

* ``*_created`` and ``*_updated`` carry the aggregate's WHOLE state after the change (a
  snapshot), so a projection upserts it and never merges partial changes.
* A deletion ends the aggregate: no event follows it, and a consumer drops the
  aggregate's links with it (in whatever order the events arrive). catalog-service also
  records the other side, so each aggregate's own history is complete: a deleted tool
  or file gets ``assistant_tool_unlinked`` / ``assistant_file_unlinked`` on every
  assistant that had it; a deleted assistant gets ``phone_number_updated``
  (``assistant_id`` None: the default receptionist) on every number routed to it.
* Secrets never travel in the clear: a tool's headers, authentication and signing secret
  are sealed with :class:`ringbook.secret_box.SecretBox` (``*_sealed`` fields).
* A file's text travels in ``file_text_extracted`` batches (each well under NATS's
  1 MiB message limit), all before its ``file_processed``.
* Phone numbers are E.164. One number belongs to at most one phone number or client
  across all tenants (catalog-service enforces it before appending).
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ringbook.contracts.calls import CONVERSATION, INBOUND_CALL
from ringbook.contracts.catalogue import register
from ringbook.contracts.streams import CALLS, CATALOG
from ringbook.events import EventData

ASSISTANT = "assistant"
TOOL = "tool"
KNOWLEDGE_FILE = "knowledge_file"
PHONE_NUMBER = "phone_number"
CLIENT = "client"
# A tenant's opening hours for one number it calls; its id is
# :func:`business_hours_id` of (tenant, number), so each pair has one history.
BUSINESS_HOURS = "business_hours"

AssistantStatus = Literal["draft", "testing", "deployed"]
HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
FileStatus = Literal["uploading", "processed", "error"]

_HOURS_NAMESPACE = uuid.UUID("5b0c1c62-3f55-4d1e-9a57-0e3c2f4f9a10")


def business_hours_id(tenant_id: uuid.UUID, number_e164: str) -> uuid.UUID:
    return uuid.uuid5(_HOURS_NAMESPACE, f"{tenant_id}:{number_e164}")


# --- assistants ----------------------------------------------------------------------------


AnalysisFieldType = Literal["string", "number", "integer", "boolean"]


class AnalysisField(BaseModel):
    """One of an assistant's own extraction fields: what post-call analysis (in
    analytics-service) pulls out of each of its calls' transcripts, besides the summary,
    sentiment and success every call gets. ``name`` is the key of the call's
    ``extraction`` object."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    type: AnalysisFieldType = "string"
    description: str = Field(default="", max_length=500)


class AssistantState(EventData):
    """Every field of seed 001's ``assistants`` table but the bookkeeping ones, and the
    assistant's extraction fields (ours, not the seed's)."""

    name: str
    description: str | None = None
    system_prompt: str | None = None
    llm_provider: str = "OpenAI"
    llm_model: str = "gpt-realtime"
    temperature: float = 0.7
    max_tokens: int = 1000
    voice_provider: str = "OpenAI"
    voice_id: str | None = None
    voice_speed: float | None = None
    voice_pitch: float | None = None
    voice_stability: float | None = None
    language: str = "de-DE"  # BCP 47
    fallback_language: str | None = None
    first_message: str | None = None
    interruption_sensitivity: float | None = None
    silence_timeout: float | None = None
    response_delay: float | None = None
    status: AssistantStatus = "draft"
    is_active: bool = True
    capabilities: dict[str, Any] = {}
    analysis_fields: tuple[AnalysisField, ...] = ()


# --- what a call honours of an assistant -------------------------------------------------
# Calls run on the OpenAI Realtime API (media-bridge): one speech-to-speech model with its
# own voices. How a call treats each field of AssistantState, and the API's limits, are
# stated once here: catalog-service's ``not_in_effect`` and media-bridge's session
# building are each tested against this table, so what a GET says is ignored and what a
# call ignores cannot drift apart.

# The Realtime API's built-in voices (session.audio.output.voice).
REALTIME_VOICES = (
    "alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar",
)
# Its bound on max_output_tokens per response.
REALTIME_MAX_OUTPUT_TOKENS = 4096
# The output speeds it accepts (session.audio.output.speed), inclusive.
REALTIME_SPEED_RANGE = (0.25, 1.5)

# "honoured": every value acts on the call. "realtime_limits": acted on within the
# Realtime API's limits above (a Realtime voice; a speed in range; max_tokens capped),
# outside them not. "openai_only": calls always use OpenAI, so only the value OpenAI
# is in effect. "ignored": no call reads it. "not_a_call_setting": the assistant's
# bookkeeping, which no call is expected to act on.
FieldEffect = Literal["honoured", "realtime_limits", "openai_only", "ignored",
                      "not_a_call_setting"]
ASSISTANT_FIELD_EFFECTS: dict[str, FieldEffect] = {
    "name": "not_a_call_setting",
    "description": "not_a_call_setting",
    "system_prompt": "honoured",
    "llm_provider": "openai_only",
    "llm_model": "ignored",  # every call uses media-bridge's REALTIME_MODEL
    "temperature": "ignored",  # the Realtime API (GA) has no sampling temperature
    "max_tokens": "realtime_limits",
    "voice_provider": "openai_only",
    "voice_id": "realtime_limits",
    "voice_speed": "realtime_limits",
    "voice_pitch": "ignored",
    "voice_stability": "ignored",
    "language": "honoured",
    "fallback_language": "honoured",
    "first_message": "honoured",
    "interruption_sensitivity": "ignored",
    "silence_timeout": "ignored",
    "response_delay": "ignored",
    "status": "not_a_call_setting",
    "is_active": "honoured",  # an inactive assistant's numbers get the default receptionist
    "capabilities": "not_a_call_setting",
    # Read after the call, by post-call analysis (analytics-service), never during it.
    "analysis_fields": "not_a_call_setting",
}


def is_openai(provider: str) -> bool:
    return provider.strip().lower() in ("openai", "open ai", "openai realtime")


class AssistantCreated(AssistantState):
    pass


class AssistantUpdated(AssistantState):
    pass


class AssistantDeleted(EventData):
    """The assistant is gone, and with it its tool and file links."""


class AssistantToolLinked(EventData):
    tool_id: uuid.UUID


class AssistantToolUnlinked(EventData):
    tool_id: uuid.UUID


class AssistantFileLinked(EventData):
    file_id: uuid.UUID
    # How the assistant uses the file (seed 001's "configure the link"), e.g.
    # {"priority": 1, "enabled": true}; free-form for the projections.
    settings: dict[str, Any] = {}


class AssistantFileLinkConfigured(EventData):
    file_id: uuid.UUID
    settings: dict[str, Any]


class AssistantFileUnlinked(EventData):
    file_id: uuid.UUID


# --- tools -----------------------------------------------------------------------------------


class ToolState(EventData):
    """An HTTP tool the realtime model may call during a call."""

    name: str  # the function name the model sees: ^[a-zA-Z0-9_-]{1,64}$
    description: str | None = None
    endpoint: str  # http(s) URL
    method: HttpMethod = "POST"
    category: str | None = None
    parameters: dict[str, Any] = {}  # a JSON Schema object: the function's arguments
    # JSON of the headers object and of the authentication object, sealed; None if none.
    headers_sealed: str | None = None
    authentication_sealed: str | None = None
    # The key of the request signature (HMAC-SHA256 over timestamp and body), sealed.
    signing_secret_sealed: str
    timeout_seconds: float = 5.0
    is_active: bool = True


class ToolCreated(ToolState):
    pass


class ToolUpdated(ToolState):
    pass


class ToolDeleted(EventData):
    pass


# --- knowledge files -----------------------------------------------------------------------


class FileUploaded(EventData):
    """The upload is stored; its text is extracted next (status ``uploading``)."""

    filename: str  # the stored name
    original_name: str
    file_type: str  # pdf | docx | txt | md | csv | html
    file_size: int
    s3_url: str  # the blob's location: file:// or s3://
    description: str | None = None


class FileUpdated(EventData):
    filename: str
    description: str | None = None


class TextChunk(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    index: int  # 0, 1, 2 … across the whole file
    text: str


class FileTextExtracted(EventData):
    """A batch of the file's passages, in order; ``language`` is a Postgres text search
    configuration name (``german``, ``english``, … or ``simple``)."""

    language: str
    chunks: tuple[TextChunk, ...]


class FileProcessed(EventData):
    language: str
    chunk_count: int
    extracted_chars: int


class FileFailed(EventData):
    reason: str


class FileDeleted(EventData):
    pass


# --- phone numbers and clients -------------------------------------------------------------


class PhoneNumberState(EventData):
    """Seed 001's ``phone_numbers`` row: a number the business owns, and who answers it
    (``assistant_id``; None: the default receptionist)."""

    phone_number: str  # E.164
    friendly_name: str | None = None
    capabilities: dict[str, Any] = {}
    country: str | None = None
    region: str | None = None
    locality: str | None = None
    provider: str = "simulated"
    provider_sid: str | None = None  # the carrier's id of the number (Twilio: PN…)
    monthly_price: float | None = None
    currency: str | None = None
    configuration: dict[str, Any] = {}
    status: str = "active"
    usage: dict[str, Any] = {}
    assistant_id: uuid.UUID | None = None


class PhoneNumberAdded(PhoneNumberState):
    pass


class PhoneNumberUpdated(PhoneNumberState):
    pass


class PhoneNumberReleased(EventData):
    phone_number: str


class ClientState(EventData):
    """Seed 002's ``clients`` row: a business whose number the receptionist answers."""

    name: str
    phone_number: str  # E.164
    profession: str | None = None
    voice_id: str | None = None
    voice_name: str | None = None
    system_prompt: str | None = None
    is_active: bool = True


class ClientCreated(ClientState):
    pass


class ClientUpdated(ClientState):
    pass


class ClientDeleted(EventData):
    phone_number: str


# --- business hours ------------------------------------------------------------------------


class BusinessHoursSet(EventData):
    """A tenant's hours for a number it calls (``weekly_hours`` as call-orchestrator
    reads it, e.g. ``Mon-Fri 08:00-18:00``); ``timezone`` None: derived from the number."""

    number: str  # E.164
    weekly_hours: str
    timezone: str | None = None


class BusinessHoursCleared(EventData):
    number: str


# --- the use of a tool during a call (media-bridge, on the CALLS stream) ----------------


class ToolUsed(EventData):
    """One HTTP tool request made during a call, successful or not."""

    tool_id: uuid.UUID
    assistant_id: uuid.UUID | None
    call_sid: str | None
    started_at: AwareDatetime
    duration_ms: int
    status_code: int | None  # None: no HTTP answer (timeout, refused address, …)
    ok: bool
    error: str | None = None


def _register() -> None:
    for type_, aggregate, model in (
        ("assistant_created", ASSISTANT, AssistantCreated),
        ("assistant_updated", ASSISTANT, AssistantUpdated),
        ("assistant_deleted", ASSISTANT, AssistantDeleted),
        ("assistant_tool_linked", ASSISTANT, AssistantToolLinked),
        ("assistant_tool_unlinked", ASSISTANT, AssistantToolUnlinked),
        ("assistant_file_linked", ASSISTANT, AssistantFileLinked),
        ("assistant_file_link_configured", ASSISTANT, AssistantFileLinkConfigured),
        ("assistant_file_unlinked", ASSISTANT, AssistantFileUnlinked),
        ("tool_created", TOOL, ToolCreated),
        ("tool_updated", TOOL, ToolUpdated),
        ("tool_deleted", TOOL, ToolDeleted),
        ("file_uploaded", KNOWLEDGE_FILE, FileUploaded),
        ("file_updated", KNOWLEDGE_FILE, FileUpdated),
        ("file_text_extracted", KNOWLEDGE_FILE, FileTextExtracted),
        ("file_processed", KNOWLEDGE_FILE, FileProcessed),
        ("file_failed", KNOWLEDGE_FILE, FileFailed),
        ("file_deleted", KNOWLEDGE_FILE, FileDeleted),
        ("phone_number_added", PHONE_NUMBER, PhoneNumberAdded),
        ("phone_number_updated", PHONE_NUMBER, PhoneNumberUpdated),
        ("phone_number_released", PHONE_NUMBER, PhoneNumberReleased),
        ("client_created", CLIENT, ClientCreated),
        ("client_updated", CLIENT, ClientUpdated),
        ("client_deleted", CLIENT, ClientDeleted),
        ("business_hours_set", BUSINESS_HOURS, BusinessHoursSet),
        ("business_hours_cleared", BUSINESS_HOURS, BusinessHoursCleared),
    ):
        register(type_, aggregate=aggregate, stream=CATALOG, model=model)
    register("tool_used", aggregate=(CONVERSATION, INBOUND_CALL), stream=CALLS, model=ToolUsed)


_register()
