"""The booking functions on a call to a business that takes bookings (seed 004).

Each tool call is forwarded to catalog-service's function handler (``BookingFunctions``)
with the call as its context: ``to`` the business's number, ``customer_phone`` the
caller's, and ``call_sid`` with the model's ``tool_call_id``, which the handler takes as
the idempotency key, so a tool call repeated by the model or resent after a lost answer
books once. The model gets the handler's answer as it came (seed 004's shapes and their
``message``, to say back); a handler it cannot use gives an ``ok: false`` it can
apologise for. The bookings' events are catalog-service's, on the CATALOG stream.
"""

from __future__ import annotations

from typing import Any

from ringbook.contracts.bookings import BOOKING_FUNCTIONS
from ringbook.logging import get_logger

from media_bridge.application.catalog_ports import BookingFunctionFailed, BookingFunctions
from media_bridge.domain.booking_line import BookingLine
from media_bridge.domain.call_facts import CallFacts

log = get_logger(__name__)

UNREACHABLE = "the booking system cannot be reached right now, please try again"


class BookingTools:
    def __init__(self, line: BookingLine, *, facts: CallFacts, functions: BookingFunctions,
                 language: str | None) -> None:
        self._line, self._facts, self._functions = line, facts, functions
        self._language = language or line.language()

    @staticmethod
    def offers(name: str) -> bool:
        return name in BOOKING_FUNCTIONS

    async def run(self, name: str, args: dict[str, Any], tool_call_id: str) -> dict[str, Any]:
        facts = self._facts
        context: dict[str, str | None] = {
            "to": self._line.number,
            "customer_phone": facts.caller,
            "call_sid": facts.call_sid,
            "session_id": str(facts.request_id) if facts.request_id else None,
            "tool_call_id": tool_call_id[:128] or None,
            "language": self._language,
        }
        try:
            answer = await self._functions.call(name, args, context)
        except BookingFunctionFailed as exc:
            log.error("booking_function_failed", function=name, error=str(exc))
            return {"ok": False, "error": UNREACHABLE}
        except Exception as exc:  # a bug must reach the model as a failure, nothing else
            log.error("booking_function_failed", function=name, error=repr(exc))
            return {"ok": False, "error": UNREACHABLE}
        log.info("booking_function_called", function=name,
                 success=answer.get("success", answer.get("available")))
        return answer
