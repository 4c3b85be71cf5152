"""The owners' dashboard page in a real headless browser (Debian's chromium, driven by
Playwright), through the gateway with the whole system running as processes.

The test makes the data itself: one outbound call of ours (SIMULATED carrier and
realtime model), which the SIMULATED LLM analyses and the call log prices, and four
calls another agent logs for a client with a tenant API key. Then it signs in on the
page like an owner, waits until every chart is drawn from ``/api/analytics/daily``,
checks the figures shown against the API's, filters by the client, and saves a
screenshot (``RINGBOOK_SCREENSHOT_DIR`` keeps a copy, as the README's was made).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import ConsoleMessage, Page, async_playwright
from ringbook_devtools.system import LocalSystem
from ringbook_devtools.testing.browser import chromium_executable
from ringbook_devtools.testing.waiting import eventually

from tests.e2e.support import ANSWERS, User, running_system

pytestmark = pytest.mark.e2e
PASSWORD = "password123"
CHARTS = ("chart-calls", "chart-success", "chart-sentiment", "chart-latency", "chart-cost")
# What four callers said, as another agent logs it; the SIMULATED LLM's word lists judge
# them (positive and booked, positive and booked, neutral, negative).
LOGGED = ["Customer: Wonderful, the cleaning is booked for Monday. Thank you, great!",
          "Customer: Perfect, my appointment is confirmed, thanks a lot.",
          "Customer: I wanted to ask about your opening hours.",
          "Customer: This is terrible, nobody called me back, I am very disappointed."]


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[LocalSystem]:
    yield from running_system(request, DEFAULT_BUSINESS_HOURS="always")


@pytest.fixture
async def owner(system: LocalSystem) -> AsyncIterator[tuple[User, str]]:
    email = f"owner-{uuid.uuid4().hex[:10]}@example.com"
    async with httpx.AsyncClient(base_url=system.gateway, timeout=10) as client:
        response = await client.post("/api/auth/register", json={
            "email": email, "password": PASSWORD, "name": "Dr. Mike"})
        assert response.status_code == 201, response.text
        body = response.json()
        yield User(client, body["user"]["id"], body["token"]), email


async def make_the_data(user: User) -> str:
    """The calls the page will show; the client's id."""
    http, auth = user.client, user.auth
    await user.submit(ANSWERS)
    client = await http.post("/api/clients", headers=auth, json={
        "name": "Dr. Mike's Dental", "phone_number": "+1 415 555 0100"})
    assert client.status_code == 201, client.text
    client_id = str(client.json()["client"]["id"])
    key = await http.post("/api/api-keys", headers=auth, json={"name": "front desk agent"})
    assert key.status_code == 201, key.text

    async def logged(transcript: str) -> bool:
        posted = await http.post("/api/calls", headers={"X-API-Key": key.json()["key"]}, json={
            "client_id": client_id, "caller_phone": "+1-555-0200", "caller_name": "John Smith",
            "duration_seconds": 45.5, "stt_latency_ms": 150, "llm_latency_ms": 300,
            "tts_latency_ms": 200, "transcript": transcript})
        # A client just created is known to analytics once its event arrived: 404 until.
        assert posted.status_code in (201, 404), posted.text
        return posted.status_code == 201

    for transcript in LOGGED:
        await eventually(lambda said=transcript: logged(said), 30,
                         what="a call logged for the new client", poll=0.3)
    return client_id


async def daily(user: User, **params: str) -> dict[str, Any]:
    response = await user.client.get("/api/analytics/daily", params=params, headers=user.auth)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def wait_until_complete(user: User) -> dict[str, Any]:
    """All five calls in, ours analysed and priced (its cost and latency are charted)."""
    report: dict[str, Any] = {}

    async def complete() -> bool:
        nonlocal report
        report = await daily(user, days="7")
        totals = report["totals"]
        return bool(totals["calls"] == 5 and totals["cost"] > 0
                    and totals["latency_p50_ms"] is not None
                    and sum(totals["sentiment"].values()) == 5)

    await eventually(complete, 120, what=lambda: f"last report: {report}", poll=1.0)
    return report


async def drawn(page: Page) -> None:
    await page.wait_for_selector("body[data-ready='true']", timeout=30_000)
    for chart in CHARTS:
        # plotly draws each chart as an SVG inside its div, one trace group per series.
        assert await page.locator(f"#{chart} .main-svg").count() >= 1, chart
        assert await page.locator(f"#{chart} .trace").count() >= 1, chart


@pytest.mark.timeout(300)  # a real call, its analysis, then the browser
async def test_the_dashboard_draws_the_tenants_calls_in_a_real_browser(
    system: LocalSystem, owner: tuple[User, str], tmp_path: Path,
) -> None:
    user, email = owner
    client_id = await make_the_data(user)
    report = await wait_until_complete(user)
    of_client = await daily(user, days="7", client_id=client_id)

    errors: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_executable(), args=["--no-sandbox"])
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 1100})

            def on_console(message: ConsoleMessage) -> None:
                if message.type == "error":  # a CSP refusal or a script error among them
                    errors.append(message.text)

            page.on("console", on_console)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(f"{system.gateway}/dashboard")
            await page.fill("#email", email)
            await page.fill("#password", PASSWORD)
            await page.click("#sign-in button[type=submit]")
            await page.wait_for_selector("#dashboard:not([hidden])")
            await page.select_option("#days-filter", "7")
            await drawn(page)
            assert not await page.is_visible("#sign-in")
            assert await page.locator("#chart-calls .xtick").count() >= 1

            totals = report["totals"]
            assert await page.inner_text("#total-calls") == "5"
            assert await page.inner_text("#success-rate") == f"{totals['success_rate']:.1f} %"
            assert await page.inner_text("#avg-sentiment") == totals["avg_sentiment"]
            # Every call analysed by the SIMULATED LLM, whose sentiment replaces the one a
            # logged body gave (docs/analytics.md); the pie has a slice per sentiment seen.
            counts = totals["sentiment"]
            assert sum(counts.values()) == 5
            slices = await page.locator("#chart-sentiment .slice").count()
            assert slices == sum(1 for n in totals["sentiment"].values() if n)
            shot = tmp_path / "dashboard.png"
            await page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000

            # The client filter: only the four logged calls, none of them priced by us.
            await page.select_option("#client-filter", client_id)
            await drawn(page)
            assert of_client["totals"]["calls"] == 4
            assert await page.inner_text("#total-calls") == "4"
        finally:
            await browser.close()
    assert errors == []
    keep = os.environ.get("RINGBOOK_SCREENSHOT_DIR")
    if keep:
        shutil.copy(shot, Path(keep) / "dashboard.png")


async def test_the_page_refuses_a_wrong_password_and_loads_nothing_else(
    system: LocalSystem, owner: tuple[User, str],
) -> None:
    _, email = owner
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_executable(), args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            origins: set[str] = set()
            page.on("request", lambda req: origins.add(req.url.split("/")[2]))
            await page.goto(f"{system.gateway}/dashboard")
            await page.fill("#email", email)
            await page.fill("#password", "wrong-password")
            await page.click("#sign-in button[type=submit]")
            # A selector, not a script: the page's CSP allows no eval, Playwright's included.
            await page.wait_for_selector("#sign-in-error:not(:empty)")
            assert await page.is_visible("#sign-in")
            assert not await page.is_visible("#dashboard")
        finally:
            await browser.close()
    # Everything the page loaded came from the gateway: no CDN, no other origin.
    assert origins == {system.gateway.split("/")[2]}
