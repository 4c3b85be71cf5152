"""Validation of ``session.update`` for the SIMULATED realtime model.

The simulator only speaks G.711 μ-law (``audio/pcmu``), the format of the phone line;
asking for anything else is answered with an ``error`` so a misconfigured bridge is
caught in tests instead of producing garbled audio.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from ringbook_simulators.realtime import protocol as p
from ringbook_simulators.realtime.vad import DEFAULT_SILENCE_MS


class ClientError(Exception):
    """A client event the simulator rejects; becomes an ``error`` event, not a close."""

    def __init__(self, code: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.param = param
        self.event_id: str | None = None  # the client's event_id, echoed in the error


def parse_client_event(message: str | bytes, supported: Collection[str]) -> dict[str, Any]:
    """Decode one client event; anything unusable becomes a :class:`ClientError`."""
    try:
        data = json.loads(message)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ClientError("invalid_json", f"Invalid JSON in client event: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ClientError("missing_required_parameter", "Missing event 'type'.", "type")
    if data["type"] not in supported:
        error = ClientError(
            "invalid_value",
            f"Unsupported event type '{data['type']}' "
            f"(simulator supports: {', '.join(sorted(supported))}).",
            "type",
        )
        error.event_id = data.get("event_id") if isinstance(data.get("event_id"), str) else None
        raise error
    return data


def _default_turn_detection() -> dict[str, Any]:
    return {
        "type": "server_vad",
        "create_response": True,
        "interrupt_response": True,
        "silence_duration_ms": DEFAULT_SILENCE_MS,
        "prefix_padding_ms": 0,
        "threshold": 0.5,
    }


@dataclass
class SessionConfig:
    model: str
    instructions: str = p.SIMULATOR_INSTRUCTIONS
    tools: list[Any] = field(default_factory=list)
    turn_detection: dict[str, Any] | None = field(default_factory=_default_turn_detection)

    @property
    def create_response(self) -> bool:
        return bool(self.turn_detection and self.turn_detection.get("create_response", True))

    @property
    def interrupt_response(self) -> bool:
        return bool(self.turn_detection and self.turn_detection.get("interrupt_response", True))

    @property
    def silence_ms(self) -> int:
        value = (self.turn_detection or {}).get("silence_duration_ms")
        return value if isinstance(value, int) and value > 0 else DEFAULT_SILENCE_MS

    def as_session(self, session_id: str) -> p.Event:
        return p.session_object(
            session_id=session_id,
            model=self.model,
            instructions=self.instructions,
            tools=self.tools,
            turn_detection=self.turn_detection,
        )

    def apply(self, session: object) -> None:
        """Apply a ``session.update``'s session, all or nothing."""
        if not isinstance(session, dict):
            raise ClientError("missing_required_parameter", "Missing 'session' object.", "session")
        if session.get("type", "realtime") != "realtime":
            raise ClientError(
                "invalid_value",
                "The simulator only supports session.type 'realtime'.",
                "session.type",
            )
        instructions = session.get("instructions", self.instructions)
        if not isinstance(instructions, str):
            raise ClientError(
                "invalid_type", "'instructions' must be a string.", "session.instructions"
            )
        tools = session.get("tools", self.tools)
        if not isinstance(tools, list):
            raise ClientError("invalid_type", "'tools' must be a list.", "session.tools")
        audio = session.get("audio") or {}
        if not isinstance(audio, dict):
            raise ClientError("invalid_type", "'audio' must be an object.", "session.audio")
        for direction in ("input", "output"):
            fmt = (audio.get(direction) or {}).get("format")
            if fmt is not None and (not isinstance(fmt, dict) or fmt.get("type") != "audio/pcmu"):
                raise ClientError(
                    "invalid_value",
                    f"The simulator only speaks G.711 μ-law: audio.{direction}.format.type "
                    "must be 'audio/pcmu'.",
                    f"session.audio.{direction}.format",
                )
        turn_detection = self.turn_detection
        audio_input = audio.get("input") or {}
        if "turn_detection" in audio_input:
            turn_detection = audio_input["turn_detection"]
            if turn_detection is not None and (
                not isinstance(turn_detection, dict)
                or turn_detection.get("type") not in ("server_vad", "semantic_vad")
            ):
                raise ClientError(
                    "invalid_value",
                    "turn_detection must be null or of type 'server_vad' / 'semantic_vad'.",
                    "session.audio.input.turn_detection",
                )
            if turn_detection is not None:
                turn_detection = {**_default_turn_detection(), **turn_detection}
        self.instructions, self.tools, self.turn_detection = instructions, tools, turn_detection
