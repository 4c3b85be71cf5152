"""The booking tools of a call go to catalog-service's function handler over real HTTP
(``CatalogBookingFunctions``): its bearer token, seed 004's body with the call as the
context, and its answer back to the model as it came. The handler here is a stand-in on
loopback that keeps seed 004's contract (bookings are idempotent by call sid and tool
call id); services never import each other, so catalog-service's own handler is met
end to end in tests/e2e/test_booking_calls.py."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from media_bridge.adapters.catalog_functions import CatalogBookingFunctions
from media_bridge.application.booking_tools import UNREACHABLE, BookingTools
from media_bridge.application.call_tools import CallTools
from media_bridge.domain.booking_line import BookingLine
from media_bridge.domain.call_facts import CallFacts
from media_bridge.domain.model_events import FunctionCall
from ringbook_simulators.carrier.testing import serve_app

TOKEN = "internal-token-for-booking-tests"
LINE = BookingLine(tenant_id=uuid.uuid4(), number="+390212345678", timezone="Europe/Rome",
                   business_name="Santa Caterina Beauty Farm")
BOOK = {"customer_name": "Giulia Rossi", "customer_phone": "", "date": "2030-05-06",
        "start_time": "10:00"}


@dataclass
class Handler:
    """Seed 004's handler, as far as these tests need it."""

    requests: list[tuple[str | None, dict[str, Any]]] = field(default_factory=list)
    bookings: dict[str, str] = field(default_factory=dict)  # idempotency key -> reference
    late_first: bool = False  # the first request is answered after the client gave up
    status: int = 200

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/api/function-handler")
        async def handle(request: Request) -> Response:
            body = orjson.loads(await request.body())
            self.requests.append((request.headers.get("authorization"), body))
            if self.status != 200:
                return Response("upstream trouble", status_code=self.status)
            if body["function_name"] == "nope":
                return JSONResponse({"error": "Unknown function"}, status_code=400)
            ctx = body["context"]
            key = f"{ctx['call_sid']}:{ctx['tool_call_id']}"
            reference = self.bookings.setdefault(key, f"SPA-{len(self.bookings) + 1:06d}")
            if self.late_first and len(self.requests) == 1:
                await asyncio.sleep(2)
            return JSONResponse({"success": True, "booking_id": len(self.bookings),
                                 "reference": reference, "message": f"codice {reference}",
                                 "details": {"date": body["arguments"]["date"]}})

        return app


@pytest.fixture
async def served() -> AsyncIterator[tuple[Handler, BookingTools]]:
    handler = Handler()
    facts = CallFacts(call_sid="CA" + "1" * 32, tenant_id=LINE.tenant_id,
                      request_id=uuid.uuid4(), line=LINE.number, caller="+393471000001")
    async with serve_app(handler.app()) as url, httpx.AsyncClient() as http:
        functions = CatalogBookingFunctions(http, base_url=url, token=TOKEN, timeout=0.5)
        yield handler, BookingTools(LINE, facts=facts, functions=functions, language=None)


async def test_a_booking_reaches_the_handler_with_the_call_as_its_context(
    served: tuple[Handler, BookingTools],
) -> None:
    handler, tools = served
    calls = CallTools(CallFacts(), _no_events, bookings=tools)
    output = orjson.loads(await calls.run(FunctionCall("call_abc", "book_spa_slot",
                                                       orjson.dumps(BOOK).decode())))
    assert output == {"success": True, "booking_id": 1, "reference": "SPA-000001",
                      "message": "codice SPA-000001", "details": {"date": "2030-05-06"}}
    [(auth, body)] = handler.requests
    assert auth == f"Bearer {TOKEN}"
    assert body["function_name"] == "book_spa_slot" and body["arguments"] == BOOK
    context = body["context"]
    assert {k: context[k] for k in ("to", "customer_phone", "call_sid", "tool_call_id",
                                    "language")} == {
        "to": LINE.number, "customer_phone": "+393471000001", "call_sid": "CA" + "1" * 32,
        "tool_call_id": "call_abc", "language": "it-IT"}  # an Italian number: Italian
    uuid.UUID(context["session_id"])


async def test_a_lost_answer_is_asked_again_with_the_same_tool_call_and_books_once(
    served: tuple[Handler, BookingTools],
) -> None:
    handler, tools = served
    handler.late_first = True  # the client's 0.5 s pass before the first answer comes
    output = await tools.run("book_spa_slot", BOOK, "call_retry")
    assert output["reference"] == "SPA-000001"
    assert [body["context"]["tool_call_id"] for _, body in handler.requests] == [
        "call_retry", "call_retry"]
    assert handler.bookings == {f"{'CA' + '1' * 32}:call_retry": "SPA-000001"}


async def test_the_handlers_verdict_reaches_the_model_and_its_trouble_becomes_an_apology(
    served: tuple[Handler, BookingTools],
) -> None:
    handler, tools = served
    assert await tools.run("nope", {}, "call_1") == {"error": "Unknown function"}
    for status in (500, 503, 429):
        handler.status = status
        assert await tools.run("book_spa_slot", BOOK, "call_2") == {
            "ok": False, "error": UNREACHABLE}


async def test_an_unreachable_handler_is_an_apology_after_one_retry() -> None:
    facts = CallFacts(call_sid="CA2", line=LINE.number)
    async with httpx.AsyncClient() as http:
        # Nothing listens on port 9 of loopback (discard): the connection is refused.
        functions = CatalogBookingFunctions(http, base_url="http://127.0.0.1:9", token=TOKEN,
                                            timeout=0.5)
        tools = BookingTools(LINE, facts=facts, functions=functions, language="en")
        assert await tools.run("check_slot_availability", {}, "c") == {
            "ok": False, "error": UNREACHABLE}


async def test_booking_functions_without_a_booking_line_are_refused_to_the_model() -> None:
    calls = CallTools(CallFacts(), _no_events)
    output = orjson.loads(await calls.run(FunctionCall("c", "book_spa_slot", "{}")))
    assert output["ok"] is False and "book_spa_slot" in output["error"]


async def _no_events(events: Any) -> None:
    raise AssertionError(f"no event is appended by a booking tool: {events}")
