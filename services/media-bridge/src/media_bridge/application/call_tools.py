"""The model's tool calls on a booking call, and the events they append.

``book_appointment`` appends ``booking_in_progress`` and ``booking_confirmed`` (whose
summary becomes the request's) together, one write: the request is never left "booking"
by a step half stored; ``report_no_availability`` appends ``call_failed``
(``callback_requested`` moves the request to ``waiting_for_callback``); ``end_call``
asks the conversation to hang up once the goodbye has played. On an assistant's call,
its HTTP tools and ``search_knowledge`` are run by :class:`AssistantTools`. A tool never
raises: bad arguments and failures become an ``{"ok": false, "error": …}`` output the
model can read and recover from.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson
from ringbook.contracts.calls import BookingConfirmed, BookingInProgress, CallFailed
from ringbook.events import EventData
from ringbook.logging import get_logger

from media_bridge.application.assistant_tools import AssistantTools
from media_bridge.application.booking_tools import BookingTools
from media_bridge.application.metrics import TOOL_CALLS
from media_bridge.domain.booking_call import (
    BOOK_APPOINTMENT,
    END_CALL,
    REPORT_NO_AVAILABILITY,
    Appointment,
    InvalidArguments,
)
from media_bridge.domain.call_facts import CallFacts
from media_bridge.domain.model_events import FunctionCall

log = get_logger(__name__)

TOOLS = frozenset({BOOK_APPOINTMENT, REPORT_NO_AVAILABILITY, END_CALL})
# Stores one step's events together (all or none), raising if they could not be stored.
Emit = Callable[[Sequence[EventData]], Awaitable[None]]


class CallTools:
    def __init__(
        self, facts: CallFacts, emit: Emit, assistant: AssistantTools | None = None,
        bookings: BookingTools | None = None,
    ) -> None:
        self._facts, self._emit, self._assistant = facts, emit, assistant
        self._bookings = bookings
        self.booked_summary: str | None = None
        self.no_availability_reason: str | None = None
        self.end_requested = False

    async def run(self, call: FunctionCall) -> str:
        """Run one tool call; its output, as the JSON string the model gets back."""
        TOOL_CALLS.labels(self._metric_label(call.name)).inc()
        try:
            args = orjson.loads(call.arguments or "{}")
            if not isinstance(args, dict):
                raise InvalidArguments("arguments must be a JSON object")
            if self._bookings is not None and self._bookings.offers(call.name):
                result = await self._bookings.run(call.name, args, call.call_id)
            else:
                result = await self._tool(call.name, args)
        except (InvalidArguments, orjson.JSONDecodeError) as exc:
            result = {"ok": False, "error": str(exc)}
        except Exception as exc:
            log.error("tool_failed", tool=call.name, error=repr(exc))
            result = {"ok": False, "error": "internal error, please try again"}
        log.info("tool_called", tool=call.name, ok=result.get("ok"))
        return orjson.dumps(result).decode()

    def _metric_label(self, name: str) -> str:
        if name in TOOLS or BookingTools.offers(name):
            return name  # our own fixed names
        # A business's tool names are its own: counted together, never one label each.
        kind = self._assistant.kind(name) if self._assistant is not None else None
        return kind or "unknown"

    async def _tool(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        facts = self._facts
        if name not in TOOLS and self._assistant is not None and self._assistant.kind(name):
            return await self._assistant.run(name, args)
        if name in (BOOK_APPOINTMENT, REPORT_NO_AVAILABILITY) and not facts.outbound:
            return {"ok": False, "error": "not available on this call"}
        if name == BOOK_APPOINTMENT:
            summary = Appointment.from_arguments(args).summary(facts.german)
            await self._emit([BookingInProgress(attempt=facts.attempt, details=summary),
                              BookingConfirmed(attempt=facts.attempt, summary=summary)])
            self.booked_summary = summary
            return {"ok": True, "booked": summary}
        if name == REPORT_NO_AVAILABILITY:
            reason = str(args.get("reason") or "no availability").strip()
            await self._emit([
                CallFailed(
                    attempt=facts.attempt,
                    call_sid=facts.call_sid,
                    reason=reason,
                    retry_at=None,
                    timezone="Europe/Berlin" if facts.german else "UTC",
                    callback_requested=args.get("callback_requested") is True,
                )
            ])
            self.no_availability_reason = reason
            return {"ok": True, "noted": reason}
        if name == END_CALL:
            self.end_requested = True
            return {"ok": True}
        raise InvalidArguments(f"unknown tool {name[:60]!r}")
