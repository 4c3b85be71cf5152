"""Builders for the OpenAI Realtime GA server events the SIMULATED model sends.

Keeping the wire shapes in one place keeps ``session.py`` about behaviour. Every shape
here is checked in the tests against the official SDK's models
(``openai.types.realtime``), which is what our media bridge parses them with.
"""

from __future__ import annotations

import itertools
import secrets
from typing import Any, Final

PCMU: Final = {"type": "audio/pcmu"}
SIMULATOR_VOICE: Final = "marin"
SIMULATOR_INSTRUCTIONS: Final = (
    "SIMULATED realtime model (Ringbook): follows fixed scripts chosen by the "
    "'Number called:' line of the instructions (none: the inbound receptionist). Not AI."
)

Event = dict[str, Any]

_counter = itertools.count(1)


def new_id(prefix: str) -> str:
    """Ids shaped like the real ones (``event_...``, ``item_...``), unique per process."""
    return f"{prefix}_sim{next(_counter):06d}{secrets.token_hex(4)}"


def event(type_: str, **fields: Any) -> Event:
    return {"type": type_, "event_id": new_id("event"), **fields}


def error_event(
    message: str,
    *,
    code: str,
    error_type: str = "invalid_request_error",
    param: str | None = None,
    client_event_id: str | None = None,
) -> Event:
    return event(
        "error",
        error={
            "type": error_type,
            "code": code,
            "message": message,
            "param": param,
            "event_id": client_event_id,
        },
    )


def response_object(
    response_id: str,
    *,
    status: str,
    output: list[Event],
    status_details: Event | None = None,
    usage: Event | None = None,
) -> Event:
    """``usage``: the finished response's (``usage.UsageMeter``); None while it is
    under way, as the real server sends it."""
    return {
        "id": response_id,
        "object": "realtime.response",
        "status": status,
        "status_details": status_details,
        "output": output,
        "conversation_id": "conv_simulated",
        "output_modalities": ["audio"],
        "audio": {"output": {"format": PCMU, "voice": SIMULATOR_VOICE}},
        "max_output_tokens": "inf",
        "metadata": None,
        "usage": usage,
    }


def assistant_message_item(item_id: str, *, status: str, transcript: str | None) -> Event:
    content = [] if transcript is None else [{"type": "output_audio", "transcript": transcript}]
    return {
        "id": item_id,
        "object": "realtime.item",
        "type": "message",
        "role": "assistant",
        "status": status,
        "content": content,
    }


def function_call_item(
    item_id: str, *, call_id: str, name: str, arguments: str, status: str
) -> Event:
    return {
        "id": item_id,
        "object": "realtime.item",
        "type": "function_call",
        "status": status,
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
    }


def user_audio_item(item_id: str, transcript: str | None) -> Event:
    return {
        "id": item_id,
        "object": "realtime.item",
        "type": "message",
        "role": "user",
        "status": "completed",
        "content": [{"type": "input_audio", "transcript": transcript}],
    }


def transcription_completed(item_id: str, transcript: str, audio_seconds: float) -> Event:
    return event(
        "conversation.item.input_audio_transcription.completed",
        item_id=item_id,
        content_index=0,
        transcript=transcript,
        usage={"type": "duration", "seconds": round(audio_seconds, 3)},
    )


def committed_user_turn(
    item_id: str, previous_item_id: str | None, transcript: str, *, audio_seconds: float
) -> list[Event]:
    """What the server sends when server VAD (or a manual commit) closes a user turn."""
    return [
        event("input_audio_buffer.committed", item_id=item_id, previous_item_id=previous_item_id),
        event(
            "conversation.item.added",
            item=user_audio_item(item_id, None),
            previous_item_id=previous_item_id,
        ),
        transcription_completed(item_id, transcript, audio_seconds),
        event("conversation.item.done", item=user_audio_item(item_id, transcript)),
    ]


def session_object(
    *,
    session_id: str,
    model: str,
    instructions: str,
    tools: list[Any],
    turn_detection: Event | None,
) -> Event:
    return {
        "type": "realtime",
        "object": "realtime.session",
        "id": session_id,
        "model": model,
        "instructions": instructions,
        "output_modalities": ["audio"],
        "tools": tools,
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "audio": {
            "input": {"format": PCMU, "turn_detection": turn_detection},
            "output": {"format": PCMU, "voice": SIMULATOR_VOICE},
        },
    }
