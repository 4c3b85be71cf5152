"""Importing a number of the Twilio account (TELEPHONY_PROVIDER=twilio): the adapter,
through the official SDK, against a local server speaking Twilio's IncomingPhoneNumbers
API; then through the HTTP app."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from catalog_service.adapters.twilio_numbers import TwilioNumbers
from catalog_service.application.ports import NumberNotInAccount, ProvisioningUnavailable
from catalog_service.entrypoints.app import Edges, create_app
from catalog_service.settings import CatalogSettings
from catalog_service.testing.api import CatalogApi
from catalog_service.testing.fake_twilio import FakeTwilio
from pydantic import SecretStr
from ringbook.clock import FakeClock

NUMBER = "+12125550100"
WEBHOOKS = "https://calls.example.com"


@pytest.fixture
async def twilio() -> AsyncIterator[tuple[FakeTwilio, str]]:
    fake = FakeTwilio()
    fake.own(NUMBER)
    async with fake.serving() as url:
        yield fake, url


def adapter(fake: FakeTwilio, url: str, token: str | None = None) -> TwilioNumbers:
    return TwilioNumbers(fake.account_sid, token or fake.auth_token, webhook_base_url=WEBHOOKS,
                         api_base_url=url, timeout_seconds=5)


async def test_import_points_the_numbers_webhooks_at_call_orchestrator(
        twilio: tuple[FakeTwilio, str]) -> None:
    fake, url = twilio
    imported = await adapter(fake, url).import_number(NUMBER)
    assert (imported.provider, imported.provider_sid) == ("twilio",
                                                          "PN0123456789abcdef0123456789abcdef")
    assert imported.capabilities["voice"] is True
    listed, updated = fake.requests
    assert listed[0] == "GET" and listed[2]["PhoneNumber"] == NUMBER
    assert updated[0] == "POST" and updated[2] == {
        "VoiceUrl": f"{WEBHOOKS}/webhook/incoming-call", "VoiceMethod": "POST",
        "StatusCallback": f"{WEBHOOKS}/webhook/call-status", "StatusCallbackMethod": "POST"}
    number = next(iter(fake.numbers.values()))
    assert number["voice_url"] == f"{WEBHOOKS}/webhook/incoming-call"


async def test_a_number_the_account_lacks_is_refused(twilio: tuple[FakeTwilio, str]) -> None:
    fake, url = twilio
    with pytest.raises(NumberNotInAccount):
        await adapter(fake, url).import_number("+12125550199")
    assert [r[0] for r in fake.requests] == ["GET"]  # nothing updated


async def test_refusals_and_outages_are_provisioning_unavailable(
        twilio: tuple[FakeTwilio, str]) -> None:
    fake, url = twilio
    with pytest.raises(ProvisioningUnavailable, match="401"):
        await adapter(fake, url, token="wrong").import_number(NUMBER)
    fake.fail_with = 500
    with pytest.raises(ProvisioningUnavailable, match="500"):
        await adapter(fake, url).import_number(NUMBER)
    with pytest.raises(ProvisioningUnavailable, match="unreachable"):
        await adapter(fake, "http://127.0.0.1:9").import_number(NUMBER)


async def test_post_phone_numbers_imports_from_twilio(
        twilio: tuple[FakeTwilio, str], settings: CatalogSettings, clock: FakeClock,
        edges: Edges, fresh_streams: None) -> None:
    fake, url = twilio
    configured = settings.model_copy(update={
        "telephony_provider": "twilio", "twilio_account_sid": fake.account_sid,
        "twilio_auth_token": SecretStr(fake.auth_token),
        "twilio_api_base_url": url, "public_webhook_base_url": WEBHOOKS})
    app = create_app(configured, clock, edges)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            api = CatalogApi(client, app)
            tenant = uuid.uuid4()
            data = await api.created("/api/phone-numbers/", tenant, {"phone_number": NUMBER})
            assert (data["provider"], data["provider_sid"]) == (
                "twilio", "PN0123456789abcdef0123456789abcdef")
            assert data["friendly_name"] == "Line 0100" and data["country"] == "US"
            missing = await api.call("POST", "/api/phone-numbers/", tenant,
                                     json={"phone_number": "+12125550199"})
            assert missing.status_code == 422
            assert "Twilio account" in missing.json()["details"][0]["problem"]
            # A number taken already is refused before Twilio is asked.
            asked = len(fake.requests)
            again = await api.call("POST", "/api/phone-numbers/", uuid.uuid4(),
                                   json={"phone_number": NUMBER})
            assert again.status_code == 409 and len(fake.requests) == asked
            fake.fail_with = 503
            down = await api.call("POST", "/api/phone-numbers/", tenant,
                                  json={"phone_number": "+12125550142"})
            assert down.status_code == 502 and down.json()["success"] is False
            assert await api.event_types() == ["phone_number_added"]
