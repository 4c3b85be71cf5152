"""``python -m ringbook_devtools.events`` against a real nats-server: prints what a
stream holds, filtered by type and aggregate, the last N, as JSON lines."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import nats
import orjson
import pytest
from ringbook.bus.streams import ensure_stream
from ringbook.clock import FakeClock
from ringbook.contracts.requests import RequestCanceled
from ringbook.contracts.streams import REQUESTS
from ringbook.events import new_event
from ringbook_devtools.events import main, parse_args, print_events
from ringbook_devtools.testing.infra import ServerSet

CLOCK = FakeClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))


def printed_events(out: str) -> list[dict[str, Any]]:
    """The CLI's JSON lines. In the suite, stdout is shared with the process's console
    logs (another module's service may still be winding down on this worker), so only
    lines that are JSON objects count."""
    return [orjson.loads(line) for line in out.splitlines() if line.startswith("{")]


async def test_prints_the_streams_events_filtered_and_last_n(
    infra: ServerSet, fresh_streams: None, capsys: pytest.CaptureFixture[str]
) -> None:
    nc = await nats.connect(infra.nats_url)
    js = nc.jetstream()
    await ensure_stream(js, REQUESTS, replicas=1)
    request = uuid.uuid4()
    reasons = ["first", "second", "third"]
    for version, reason in enumerate(reasons, start=1):
        event = new_event(RequestCanceled(reason=reason), aggregate_id=request, version=version,
                          tenant_id=uuid.uuid4(), correlation_id=request, clock=CLOCK)
        await js.publish(event.subject, event.to_json(), headers={"Nats-Msg-Id": str(event.id)})
    await nc.close()

    assert await print_events(parse_args(["REQUESTS", "--type", "request_canceled"]),
                              infra.nats_url) == 0
    lines = printed_events(capsys.readouterr().out)
    assert [line["data"]["reason"] for line in lines] == reasons
    assert {line["aggregate_id"] for line in lines} == {str(request)}

    assert await print_events(parse_args(["REQUESTS", "--last", "1"]), infra.nats_url) == 0
    last = printed_events(capsys.readouterr().out)
    assert [line["data"]["reason"] for line in last] == ["third"]

    assert await print_events(parse_args(["REQUESTS", "--type", "request_received"]),
                              infra.nats_url) == 0
    assert printed_events(capsys.readouterr().out) == []


def test_an_unreachable_server_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NATS_URL", "nats://127.0.0.1:1")
    assert main(["CALLS"]) == 2
    assert "cannot reach NATS at nats://127.0.0.1:1" in capsys.readouterr().err


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(SystemExit):
        parse_args(["NO_SUCH_STREAM"])
    with pytest.raises(SystemExit):
        parse_args(["CALLS", "--last", "-1"])
