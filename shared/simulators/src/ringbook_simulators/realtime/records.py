"""What a SIMULATED realtime session records, and checks of the items it is sent.

Tests assert on :class:`SessionRecord` after a call (which tool results came back,
which replies the bridge truncated) instead of scraping logs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from ringbook_simulators.realtime.session_config import ClientError


class Connection(Protocol):
    """The part of a websockets server connection the session uses."""

    def __aiter__(self) -> Any: ...

    async def send(self, message: str) -> None: ...


@dataclass(frozen=True)
class Truncation:
    item_id: str
    content_index: int
    audio_end_ms: int


@dataclass
class SessionRecord:
    """What a session saw, for tests to assert on after the fact."""

    number: str | None = None  # the script's key: number called, or "receptionist"
    truncations: list[Truncation] = field(default_factory=list)
    tool_outputs: dict[str, str] = field(default_factory=dict)  # call_id -> output
    errors: list[str] = field(default_factory=list)  # error codes sent
    responses: list[tuple[str, str]] = field(default_factory=list)  # (id, final status)
    usages: list[dict[str, Any]] = field(default_factory=list)  # each response.done's usage


def function_call_output(item: dict[str, Any]) -> tuple[str, str]:
    """``(call_id, output)`` of a ``function_call_output`` item, or a client error."""
    call_id, output = item.get("call_id"), item.get("output")
    if not isinstance(call_id, str) or not isinstance(output, str):
        raise ClientError(
            "invalid_value",
            "function_call_output needs string 'call_id' and 'output'.",
            "item.call_id",
        )
    return call_id, output


def parse_truncate(data: dict[str, Any], audio_ms: dict[str, int]) -> Truncation:
    """Validate ``conversation.item.truncate`` against the audio actually sent.

    ``audio_ms`` maps each assistant audio item to the milliseconds streamed so far; as
    with the real API, one cannot truncate beyond what was sent.
    """
    item_id, content_index, end_ms = (
        data.get("item_id"),
        data.get("content_index"),
        data.get("audio_end_ms"),
    )
    if not isinstance(item_id, str) or item_id not in audio_ms:
        raise ClientError(
            "item_truncate_invalid_item_id",
            f"No assistant audio item with id '{item_id}'.",
            "item_id",
        )
    if not isinstance(content_index, int) or not isinstance(end_ms, int) or end_ms < 0:
        raise ClientError(
            "invalid_value",
            "'content_index' and 'audio_end_ms' must be integers >= 0.",
            "audio_end_ms",
        )
    if end_ms > audio_ms[item_id]:
        raise ClientError(
            "invalid_value",
            f"audio_end_ms {end_ms} exceeds the {audio_ms[item_id]} ms of audio sent.",
            "audio_end_ms",
        )
    return Truncation(item_id, content_index, end_ms)
