"""Seed 000 with the conversation: the simulated carrier plays the practice as audio,
media-bridge bridges it to the simulated realtime model, tools book or ask for a
callback (issue "The conversation")."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from ringbook_devtools.system import LocalSystem

from tests.e2e.support import (
    ANSWERS,
    User,
    register,
    running_system,
    types,
)

pytestmark = pytest.mark.e2e
NO_SLOT, INTERRUPTS = "+49 30 5550103", "+49 30 5550104"


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[LocalSystem]:
    yield from running_system(request, DEFAULT_BUSINESS_HOURS="always", SIMCARRIER_ANSWERED_HOLD_SECONDS="60")


@pytest.fixture
async def user(system: LocalSystem) -> AsyncIterator[User]:
    async with httpx.AsyncClient(base_url=system.gateway, timeout=10) as client:
        yield await register(client)


def completed(request: dict[str, object]) -> bool:
    return "call_completed" in types(request)  # type: ignore[arg-type]


@pytest.mark.parametrize("number", [ANSWERS, INTERRUPTS])
async def test_the_agent_books_and_the_request_ends_booked(user: User, number: str) -> None:
    request_id = await user.submit(number)
    request = await user.wait_for(request_id, completed, within=90)
    assert request["status"] == "booked"
    assert types(request) == ["request_received", "call_started", "call_connected",
                              "booking_in_progress", "booking_confirmed", "call_completed"]
    assert "10:30" in request["summary"] and "Praxis Dr. Müller" in request["summary"]


async def test_no_slot_ends_waiting_for_callback(user: User) -> None:
    request_id = await user.submit(NO_SLOT)
    request = await user.wait_for(request_id, completed, within=90)
    assert request["status"] == "waiting_for_callback"
    assert types(request)[-2:] == ["call_failed", "call_completed"]
