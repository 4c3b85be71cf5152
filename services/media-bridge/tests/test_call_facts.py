"""A call's facts come from its stream token's grant, the caller's number included."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from media_bridge.domain.call_facts import INBOUND, CallFacts
from ringbook.stream_tokens import CallDirection, StreamGrant


def test_an_inbound_calls_facts_carry_the_line_and_who_calls() -> None:
    grant = StreamGrant(
        token_id=uuid.uuid4(), call_sid="CA1", tenant_id=uuid.uuid4(),
        request_id=uuid.uuid4(), attempt=1, direction=CallDirection.INBOUND,
        expires_at=datetime(2026, 1, 1, tzinfo=UTC), line="+390612345678",
        caller="+393331234567")
    facts = CallFacts.from_grant(grant)
    assert (facts.direction, facts.line, facts.caller) == (INBOUND, "+390612345678",
                                                          "+393331234567")
    assert facts.tenant_id == grant.tenant_id and facts.request_id == grant.request_id
    assert CallFacts().caller is None  # unknown until a grant says it
