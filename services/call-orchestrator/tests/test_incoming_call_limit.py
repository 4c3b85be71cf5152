"""Seed 004's limit on incoming calls, per business number: over it the signed webhook
answers 429 with Retry-After and a JSON body and starts no call; other numbers ring on,
and a request with a bad signature uses up nothing (real Postgres and nats-server)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from ringbook_devtools.testing.infra import ServerSet
from test_inbound_calls import OUR_NUMBER, Inbound, inbound_service, new_sid

OTHER_NUMBER = "+49305550999"


@pytest.fixture
async def limited(
    infra: ServerSet, fresh_schema: str, fresh_streams: None
) -> AsyncIterator[Inbound]:
    async with inbound_service(infra, fresh_schema,
                               incoming_call_rate_limit="3/minute") as service:
        yield service


async def test_the_call_over_the_limit_is_refused_and_starts_nothing(limited: Inbound) -> None:
    forged = await limited.post("/webhook/incoming-call",
                                {"CallSid": new_sid(), "From": "+4915112345678",
                                 "To": OUR_NUMBER}, signature="forged")
    assert forged.status_code == 403
    for _ in range(3):
        assert (await limited.incoming(new_sid())).status_code == 200
    jobs = await limited.count("call_jobs")

    refused = await limited.incoming(new_sid())

    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    body = refused.json()
    assert body["error"] == "Too many requests"
    assert body["details"]["limit"] == "3/minute"
    assert await limited.count("call_jobs") == jobs
    # The limit is the number's: another business's number still answers.
    assert (await limited.incoming(new_sid(), to=OTHER_NUMBER)).status_code == 200
