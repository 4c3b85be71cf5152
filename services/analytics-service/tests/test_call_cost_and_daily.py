"""What calls cost and the dashboard's per-day series: our own calls priced from their
merged row (the longest duration reported, the conversation's usage) whichever event
came last; a logged call unpriced; ``/api/analytics/daily`` and ``/cost`` with every
day of the window, per tenant and client, and the analysts' ``cost`` view."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from analytics_service.domain.call_cost import cost_of_call
from analytics_service.settings import AnalyticsSettings
from analytics_service.testing import CallFlow, publish
from call_log_harness import CALL_LOG_NOW, SEED_BODY, CallLogService, post_call
from ringbook.contracts.calls import ModelUsage

USAGE = ModelUsage(model="gpt-realtime", input_text_tokens=1200, input_audio_tokens=3800,
                   cached_input_tokens=1000, output_text_tokens=300, output_audio_tokens=2500)
PRICES = AnalyticsSettings.model_construct().prices  # the defaults, as the service runs


def as_float(amount: Decimal) -> float:
    return float(amount)


async def priced_call(call_log: CallLogService, tenant: uuid.UUID, *, days_ago: int = 0,
                      carrier_seconds: float = 125.0, success: bool = True,
                      sentiment: Any = "POSITIVE", carrier_first: bool = False,
                      ) -> tuple[CallFlow, dict[str, Any]]:
    """A call whose conversation reports 61 s and the usage, and whose carrier reports
    ``carrier_seconds``: by default the usage first and the carrier's duration last."""
    call = CallFlow(tenant, CALL_LOG_NOW - timedelta(days=days_ago, minutes=5), call_log.clock)
    ends = [call.conversation_completed(duration=61.0, usage=USAGE),
            call.carrier_completed(duration=carrier_seconds)]
    await publish(call_log.js, call.started(), call.connected(),
                  *(reversed(ends) if carrier_first else ends),
                  call.analyzed(sentiment=sentiment, success=success))
    detail = await call_log.wait_call(
        tenant, call.id,
        lambda c: c["cost"] and c["cost"]["billed_minutes"] == -(-max(61.0, carrier_seconds)
                                                                  // 60)
        and c["analysis"], "the call priced at its longest duration")
    return call, detail


@pytest.mark.parametrize("carrier_first", [False, True])
async def test_our_call_is_priced_from_its_longest_duration_and_its_usage(
    call_log: CallLogService, carrier_first: bool,
) -> None:
    tenant = uuid.uuid4()
    _, detail = await priced_call(call_log, tenant, carrier_first=carrier_first)
    expected = cost_of_call(PRICES, 125.0, USAGE)  # 3 started minutes, the model's tokens
    assert detail["cost"] == {"billed_minutes": 3, "carrier": as_float(expected.carrier),
                              "model": as_float(expected.model),
                              "total": as_float(expected.total), "currency": "USD"}
    assert expected.model > 0 and expected.carrier == Decimal("0.042")


async def test_a_call_another_agent_logged_has_no_cost_of_ours(call_log: CallLogService) -> None:
    tenant = uuid.uuid4()
    client_id = await call_log.add_client(tenant)
    key = (await call_log.new_key(tenant))["key"]
    posted = await post_call(call_log, key, client_id=str(client_id), **SEED_BODY)
    assert posted.status_code == 201, posted.text
    call_id = posted.json()["call"]["id"]
    detail = await call_log.wait_call(tenant, uuid.UUID(call_id), lambda c: c["id"], "logged")
    assert detail["cost"] is None
    cost = await call_log.ok(tenant, "/api/analytics/cost", days=1)
    assert cost["totals"] == {"calls": 0, "billed_minutes": 0, "carrier": 0.0, "model": 0.0,
                              "total": 0.0}


async def test_daily_has_every_day_of_the_window_and_the_windows_totals(
    call_log: CallLogService,
) -> None:
    tenant, other = uuid.uuid4(), uuid.uuid4()
    _, today = await priced_call(call_log, tenant, sentiment="POSITIVE", success=True)
    _, older = await priced_call(call_log, tenant, days_ago=2, carrier_seconds=100.0,
                                 sentiment="NEGATIVE", success=False)
    await priced_call(call_log, other)  # another tenant's: never counted here

    report = await call_log.ok(tenant, "/api/analytics/daily", days=7)
    assert report["days"] == 7 and report["currency"] == "USD" and report["client_id"] is None
    days = [d["date"] for d in report["data"]]
    first = (CALL_LOG_NOW - timedelta(days=6)).date().isoformat()
    assert days[0] == first and days[-1] == CALL_LOG_NOW.date().isoformat()
    assert len(days) == 7
    by_day = {d["date"]: d for d in report["data"]}
    on_today = by_day[CALL_LOG_NOW.date().isoformat()]
    on_older = by_day[(CALL_LOG_NOW - timedelta(days=2)).date().isoformat()]
    assert (on_today["calls"], on_today["success_rate"]) == (1, 100.0)
    assert (on_older["calls"], on_older["success_rate"]) == (1, 0.0)
    assert on_today["sentiment"] == {"POSITIVE": 1, "NEGATIVE": 0, "NEUTRAL": 0}
    assert on_today["latency_p50_ms"] == 420.0 and on_today["latency_p95_ms"] == 880.0
    assert on_today["cost"] == today["cost"]["total"]
    empty = by_day[(CALL_LOG_NOW - timedelta(days=1)).date().isoformat()]
    assert empty == {"date": empty["date"], "calls": 0, "success_rate": None,
                     "sentiment": {"POSITIVE": 0, "NEGATIVE": 0, "NEUTRAL": 0},
                     "latency_p50_ms": None, "latency_p95_ms": None, "cost": 0.0}
    totals = report["totals"]
    assert (totals["calls"], totals["success_rate"], totals["avg_sentiment"]) == (2, 50.0,
                                                                                 "NEUTRAL")
    assert totals["cost"] == pytest.approx(today["cost"]["total"] + older["cost"]["total"])

    cost = await call_log.ok(tenant, "/api/analytics/cost", days=7)
    cost_days = {d["date"]: d for d in cost["data"]}
    assert len(cost["data"]) == 7
    assert cost_days[on_today["date"]]["billed_minutes"] == 3
    assert cost_days[on_older["date"]]["billed_minutes"] == 2
    assert cost["totals"]["calls"] == 2
    assert cost["totals"]["total"] == pytest.approx(totals["cost"])
    assert cost["totals"]["carrier"] + cost["totals"]["model"] == pytest.approx(
        cost["totals"]["total"])

    # A one-day window leaves the older call out; another tenant sees nothing of it.
    assert (await call_log.ok(tenant, "/api/analytics/daily", days=1))["totals"]["calls"] == 1
    assert (await call_log.ok(uuid.uuid4(), "/api/analytics/daily", days=7))["totals"][
        "calls"] == 0


async def test_the_client_filter_and_the_analysts_cost_view(call_log: CallLogService) -> None:
    tenant = uuid.uuid4()
    client_id = await call_log.add_client(tenant)
    key = (await call_log.new_key(tenant))["key"]
    posted = await post_call(call_log, key, client_id=str(client_id), **SEED_BODY)
    assert posted.status_code == 201, posted.text
    await call_log.wait_call(tenant, uuid.UUID(posted.json()["call"]["id"]),
                             lambda c: c["id"], "logged")
    await priced_call(call_log, tenant)  # no client: not in the client's figures

    of_client = await call_log.ok(tenant, "/api/analytics/daily", days=3,
                                  client_id=str(client_id))
    assert of_client["client_id"] == str(client_id)
    assert of_client["totals"]["calls"] == 1 and of_client["totals"]["cost"] == 0.0
    assert (await call_log.ok(tenant, "/api/analytics/daily", days=3))["totals"]["calls"] == 2

    pool = call_log.runtime.pool
    assert await pool.fetchval("select has_table_privilege('ringbook_analyst', 'cost', "
                               "'select')")
    rows = await pool.fetch("select calls, billed_minutes from cost where tenant_id = $1",
                            tenant)
    assert [(r["calls"], r["billed_minutes"]) for r in rows] == [(1, 3)]


@pytest.mark.parametrize("params", [{"days": 0}, {"days": 367}, {"days": "x"},
                                    {"client_id": "not-a-uuid"}])
@pytest.mark.parametrize("path", ["/api/analytics/daily", "/api/analytics/cost"])
async def test_bad_params_are_422_json(call_log: CallLogService, path: str,
                                       params: dict[str, Any]) -> None:
    response = await call_log.get(uuid.uuid4(), path, **params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("path", ["/api/analytics/daily", "/api/analytics/cost"])
async def test_the_series_need_a_token(call_log: CallLogService, path: str) -> None:
    response = await call_log.client.get(path)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/json")
