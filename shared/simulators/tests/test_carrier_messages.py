"""The SIMULATED carrier's Messages resource, driven by the official ``twilio`` SDK the way
a service would send an SMS: recorded with Twilio's resource shape, listed, refused with
Twilio's error codes, and never without the account's credentials."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from ringbook_simulators.carrier.messages import segments
from ringbook_simulators.carrier.settings import CarrierSettings
from ringbook_simulators.carrier.testing import running_carrier, sdk_client
from twilio.rest import Client

SPA, CALLER = "+390212345678", "+393331234567"
MESSAGES = "/2010-04-01/Accounts/ACsimulated00000000000000000000000/Messages.json"
TEXT = "Prenotazione confermata: SPA-000001, domani 10:00-12:00."


@pytest.fixture
async def carrier() -> AsyncIterator[tuple[str, Client]]:
    settings = CarrierSettings()
    async with running_carrier(settings) as (url, _):
        yield url, sdk_client(settings, url)


async def test_an_sms_sent_through_the_sdk_is_recorded(carrier: tuple[str, Client]) -> None:
    url, client = carrier
    sent = await asyncio.to_thread(
        client.messages.create, to=CALLER, from_=SPA, body=TEXT)
    assert sent.sid.startswith("SM") and len(sent.sid) == 34
    assert (sent.to, sent.from_, sent.body, sent.status) == (CALLER, SPA, TEXT, "queued")
    assert sent.num_segments == "1"

    listed = await asyncio.to_thread(client.messages.list)
    assert [m.sid for m in listed] == [sent.sid]
    async with httpx.AsyncClient(base_url=url) as http:
        recorded = (await http.get("/messages")).json()["messages"]
    assert [(m["to"], m["body"]) for m in recorded] == [(CALLER, TEXT)]


@pytest.mark.parametrize(("fields", "code"), [
    ({"From": SPA, "Body": TEXT}, 21604),
    ({"To": "not a number", "From": SPA, "Body": TEXT}, 21211),
    ({"To": CALLER, "Body": TEXT}, 21603),
    ({"To": CALLER, "From": SPA}, 21602),
    ({"To": CALLER, "From": SPA, "Body": "x" * 1601}, 21617),
])
async def test_a_bad_message_gets_twilios_error_and_is_not_recorded(
    carrier: tuple[str, Client], fields: dict[str, str], code: int
) -> None:
    url, _ = carrier
    settings = CarrierSettings()
    async with httpx.AsyncClient(base_url=url) as http:
        refused = await http.post(MESSAGES, data=fields,
                                  auth=(settings.account_sid, settings.auth_token))
        assert (refused.status_code, refused.json()["code"]) == (400, code)
        assert (await http.get("/messages")).json()["messages"] == []


async def test_the_wrong_token_sends_nothing(carrier: tuple[str, Client]) -> None:
    url, _ = carrier
    async with httpx.AsyncClient(base_url=url) as http:
        refused = await http.post(MESSAGES, data={"To": CALLER, "From": SPA, "Body": TEXT},
                                  auth=("ACsimulated00000000000000000000000", "wrong"))
        assert refused.status_code == 401
        assert (await http.get("/messages")).json()["messages"] == []


def test_segments_follow_the_alphabet() -> None:
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2
    assert segments("è" * 70) == 1 and segments("è" * 71) == 2
