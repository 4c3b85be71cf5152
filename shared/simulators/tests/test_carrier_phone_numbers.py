"""The SIMULATED carrier's IncomingPhoneNumbers, driven by the official ``twilio`` SDK
pointed at it the way call-orchestrator's adapter does (only the ``api`` domain's base
URL changes), and a call rung in to a number the SDK configured."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TypeVar

import httpx
import pytest
from fastapi import Request, Response
from pydantic import ValidationError
from ringbook_devtools.testing.waiting import eventually
from ringbook_simulators.carrier.phone_numbers import number_sid
from ringbook_simulators.carrier.scenarios import ACCOUNT_NUMBER, SIMULATED_NUMBERS
from ringbook_simulators.carrier.settings import CarrierSettings
from ringbook_simulators.carrier.testing import (
    CallbackRecorder,
    running_carrier,
    sdk_client,
    serve_app,
)
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

T = TypeVar("T")
EXTRA = ("+49 30 5550170", "+4930555017 1")
EXTRA_E164 = ("+49305550170", "+49305550171")
# Nothing listens there: a call that used the settings' voice URL would fail.
UNREACHABLE = "http://127.0.0.1:9/voice"


@dataclass
class Carrier:
    url: str
    settings: CarrierSettings
    client: Client

    async def sdk(self, call: Callable[[], T]) -> T:
        # The SDK is synchronous; the carrier serves on this very event loop.
        return await asyncio.to_thread(call)


@pytest.fixture
async def carrier() -> AsyncIterator[Carrier]:
    settings = CarrierSettings(owned_numbers=", ".join(EXTRA), incoming_call_url=UNREACHABLE,
                               callback_backoff_seconds=0.01)
    async with running_carrier(settings) as (url, _):
        yield Carrier(url, settings, sdk_client(settings, url))


async def test_the_sdk_finds_an_owned_number_by_its_number(carrier: Carrier) -> None:
    numbers = carrier.client.incoming_phone_numbers
    [found] = await carrier.sdk(lambda: numbers.list(phone_number=ACCOUNT_NUMBER))
    assert found.sid == number_sid(carrier.settings.account_sid, ACCOUNT_NUMBER)
    assert found.sid.startswith("PN") and len(found.sid) == 34
    assert (found.account_sid, found.phone_number) == (carrier.settings.account_sid,
                                                      ACCOUNT_NUMBER)
    assert found.voice_url == UNREACHABLE  # every number starts with the settings' URLs
    assert found.status_callback == carrier.settings.incoming_status_callback_url
    assert (found.voice_method, found.status_callback_method) == ("POST", "POST")
    assert found.capabilities == {"voice": True, "sms": True, "mms": False, "fax": False}
    assert found.uri.endswith(f"/IncomingPhoneNumbers/{found.sid}.json")
    assert await carrier.sdk(lambda: numbers.list(phone_number="+49305559999")) == []


async def test_the_account_owns_its_line_the_simulated_block_and_the_configured_numbers(
    carrier: Carrier,
) -> None:
    numbers = carrier.client.incoming_phone_numbers
    # Two a page: the SDK follows next_page_uri to the end.
    every = await carrier.sdk(lambda: numbers.list(page_size=2))
    assert [n.phone_number for n in every] == [ACCOUNT_NUMBER, *SIMULATED_NUMBERS, *EXTRA_E164]
    # Twilio's filter: the digits given appear in the number, '*' for any one digit.
    partial = await carrier.sdk(lambda: numbers.list(phone_number="555017"))
    wildcard = await carrier.sdk(lambda: numbers.list(phone_number="+4930555017*"))
    assert [n.phone_number for n in partial] == [n.phone_number for n in wildcard] == list(
        EXTRA_E164)


async def test_the_sdk_configures_a_number_and_reads_it_back(carrier: Carrier) -> None:
    sid = number_sid(carrier.settings.account_sid, EXTRA_E164[0])
    updated = await carrier.sdk(lambda: carrier.client.incoming_phone_numbers(sid).update(
        voice_url="https://ringbook.example/webhook/incoming-call", voice_method="GET",
        status_callback="https://ringbook.example/webhook/call-status",
        status_callback_method="POST", friendly_name="Salon Sonja"))
    assert (updated.sid, updated.phone_number) == (sid, EXTRA_E164[0])
    assert (updated.voice_url, updated.voice_method) == (
        "https://ringbook.example/webhook/incoming-call", "GET")
    assert updated.status_callback == "https://ringbook.example/webhook/call-status"
    assert updated.friendly_name == "Salon Sonja"
    fetched = await carrier.sdk(lambda: carrier.client.incoming_phone_numbers(sid).fetch())
    assert (fetched.voice_url, fetched.friendly_name) == (updated.voice_url, "Salon Sonja")
    [listed] = await carrier.sdk(
        lambda: carrier.client.incoming_phone_numbers.list(friendly_name="Salon Sonja"))
    assert listed.sid == sid


async def test_unknown_sids_bad_updates_and_bad_credentials_get_twilios_errors(
    carrier: Carrier,
) -> None:
    unknown = carrier.client.incoming_phone_numbers("PN" + "0" * 32)
    with pytest.raises(TwilioRestException) as missing:
        await carrier.sdk(unknown.fetch)
    assert (missing.value.status, missing.value.code) == (404, 20404)
    with pytest.raises(TwilioRestException) as missing_update:
        await carrier.sdk(lambda: unknown.update(voice_url="https://ringbook.example/v"))
    assert missing_update.value.status == 404

    number = carrier.client.incoming_phone_numbers(
        number_sid(carrier.settings.account_sid, ACCOUNT_NUMBER))
    for kwargs, code in (({"voice_method": "PUT"}, 21200), ({"voice_url": "ftp://x"}, 21502),
                         ({"status_callback": "not a url"}, 21502)):
        with pytest.raises(TwilioRestException) as refused:
            await carrier.sdk(lambda kwargs=kwargs: number.update(**kwargs))
        assert (refused.value.status, refused.value.code) == (400, code)
    assert (await carrier.sdk(number.fetch)).voice_url == UNREACHABLE  # nothing applied

    intruder = sdk_client(carrier.settings, carrier.url, auth_token="wrong-token")
    with pytest.raises(TwilioRestException) as denied:
        await carrier.sdk(intruder.incoming_phone_numbers(
            number_sid(carrier.settings.account_sid, ACCOUNT_NUMBER)).fetch)
    assert (denied.value.status, denied.value.code) == (401, 20003)
    # A list reads pages, and the SDK's page reader wraps any non-200 answer in a plain
    # TwilioException carrying the response (as against api.twilio.com).
    with pytest.raises(TwilioException) as denied_list:
        await carrier.sdk(intruder.incoming_phone_numbers.list)
    assert not isinstance(denied_list.value, TwilioRestException)
    response = denied_list.value.args[1]
    assert (response.status_code, json.loads(response.text)["code"]) == (401, 20003)


def test_an_owned_number_that_is_no_number_stops_the_carrier() -> None:
    with pytest.raises(ValidationError, match="SIMCARRIER_OWNED_NUMBERS"):
        CarrierSettings(owned_numbers="+49305550170, 12345")


async def test_a_call_to_a_configured_number_uses_its_voice_url_and_status_callback(
    carrier: Carrier,
) -> None:
    token = carrier.settings.auth_token
    status = CallbackRecorder(token)
    app = status.app("/configured-status")
    asked: list[tuple[str, dict[str, str], bool]] = []

    async def voice(request: Request) -> Response:
        params = dict(request.query_params)  # VoiceMethod GET: the fields in the query
        url = str(request.url).split("?")[0]
        # Twilio signs a GET over the full URL, query included, with no POST fields.
        valid = RequestValidator(token).validate(str(request.url), {},
                                                 request.headers.get("X-Twilio-Signature", ""))
        asked.append((url, params, bool(valid)))
        return Response("<Response><Say>Guten Tag.</Say></Response>", media_type="text/xml")

    app.add_api_route("/configured-voice", voice, methods=["GET"])
    async with serve_app(app) as app_url, httpx.AsyncClient(base_url=carrier.url) as http:
        sid = number_sid(carrier.settings.account_sid, EXTRA_E164[1])
        await carrier.sdk(lambda: carrier.client.incoming_phone_numbers(sid).update(
            voice_url=f"{app_url}/configured-voice", voice_method="GET",
            status_callback=f"{app_url}/configured-status"))
        rung = await http.post("/simulate/incoming-call",
                               json={"from": "+49 170 1234567", "to": EXTRA[1]})
        assert rung.status_code == 201, rung.text
        call_sid = rung.json()["sid"]
        assert rung.json()["voice_webhook"]["url"] == f"{app_url}/configured-voice"
        await eventually(lambda: status.statuses(call_sid) == ["completed"],
                         what="the final status at the number's status callback")
        # A number the account does not own keeps the settings' (unreachable) voice URL.
        other = await http.post("/simulate/incoming-call",
                                json={"from": "+49 170 1234567", "to": "+49 30 5559999"})
        assert other.status_code == 502 and "unreachable" in other.json()["error"]
    [(url, params, valid)] = asked
    assert (url, valid) == (f"{app_url}/configured-voice", True)
    assert (params["CallSid"], params["To"], params["Direction"]) == (
        call_sid, EXTRA_E164[1], "inbound")
    [final] = status.for_call(call_sid)
    assert final.signature_valid




async def test_catalog_services_twilio_adapter_imports_an_owned_number(carrier: Carrier) -> None:
    # The production code that configures a business's number (TELEPHONY_PROVIDER=twilio),
    # run unchanged against the simulated carrier.
    from catalog_service.adapters.twilio_numbers import TwilioNumbers
    from catalog_service.application.ports import NumberNotInAccount, ProvisioningUnavailable

    numbers = TwilioNumbers(carrier.settings.account_sid, carrier.settings.auth_token,
                            webhook_base_url="https://ringbook.example/", api_base_url=carrier.url)
    imported = await numbers.import_number(EXTRA_E164[0])
    sid = number_sid(carrier.settings.account_sid, EXTRA_E164[0])
    assert (imported.provider, imported.provider_sid) == ("twilio", sid)
    assert imported.capabilities["voice"] is True
    configured = await carrier.sdk(lambda: carrier.client.incoming_phone_numbers(sid).fetch())
    assert (configured.voice_url, configured.voice_method) == (
        "https://ringbook.example/webhook/incoming-call", "POST")
    assert configured.status_callback == "https://ringbook.example/webhook/call-status"
    with pytest.raises(NumberNotInAccount):
        await numbers.import_number("+49305559999")
    refused = TwilioNumbers(carrier.settings.account_sid, "wrong-token",
                            webhook_base_url="https://ringbook.example", api_base_url=carrier.url)
    with pytest.raises(ProvisioningUnavailable, match="Twilio refused"):
        await refused.import_number(EXTRA_E164[1])
