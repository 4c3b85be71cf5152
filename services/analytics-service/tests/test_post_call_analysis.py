"""Post-call analysis end to end against real Postgres and nats-server, with the
SIMULATED LLM on a real socket behind the official SDK: a finished call on CALLS (or a
logged call on ANALYTICS) becomes exactly one ``call_analyzed`` on ANALYTICS, through
retries with backoff, redeliveries and two replicas on one database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import orjson
import pytest
from analytics_service.application.analysis_ports import AnalyzerFailed
from analytics_service.domain.call_analysis import CallAnalysis, ExtractionField
from analytics_service.entrypoints.app import create_app
from analytics_service.settings import AnalyticsSettings
from analytics_service.testing import publish
from fastapi import FastAPI
from nats.js import JetStreamContext
from ringbook.clock import SystemClock
from ringbook.contracts.call_log import CallAnalyzed, CallLogged, call_analysis_id, call_log_id
from ringbook.contracts.calls import (
    CONVERSATION,
    INBOUND_CALL,
    CallCompleted,
    CallStarted,
    TranscriptLine,
)
from ringbook.contracts.catalog import AnalysisField, AssistantCreated, PhoneNumberAdded
from ringbook.contracts.catalogue import parse_envelope
from ringbook.contracts.streams import ANALYTICS
from ringbook.events import Envelope, new_event
from ringbook.runtime import ServiceRuntime
from ringbook.store import event_store
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.plugin import settings_for
from ringbook_devtools.testing.streams import stored_messages
from ringbook_devtools.testing.waiting import eventually
from ringbook_simulators.responses import LlmState
from ringbook_simulators.responses.testing import running_llm

CLOCK = SystemClock()  # backoff is real time here, kept short by the settings
FAST = {"analysis_poll_seconds": 0.05, "analysis_retry_base_seconds": 0.1,
        "analysis_retry_max_seconds": 0.5, "analysis_max_attempts": 4}


def conversation_completed(tenant: uuid.UUID, call_sid: str, caller_says: str,
                           outcome: str = "booked") -> Envelope:
    lines = (TranscriptLine(speaker="agent", text="Praxis Dr. Müller, guten Tag.", at_ms=0),
             TranscriptLine(speaker="callee", text=caller_says, at_ms=1200))
    return new_event(
        CallCompleted(attempt=1, call_sid=call_sid, duration_seconds=42.0, outcome=outcome,
                      transcript=lines),
        aggregate_id=uuid.uuid4(), version=4, tenant_id=tenant, correlation_id=uuid.uuid4(),
        clock=CLOCK, aggregate=CONVERSATION)


async def analyses(js: JetStreamContext) -> list[Envelope]:
    """Every ``call_analyzed`` on the ANALYTICS stream, read message by message."""
    events = [parse_envelope(data) for data in await stored_messages(js, ANALYTICS.name)]
    return [event for event in events if isinstance(event.data, CallAnalyzed)]


def runtime_of(app: FastAPI) -> ServiceRuntime:
    runtime: ServiceRuntime = app.state.runtime
    return runtime


@asynccontextmanager
async def instances(settings: AnalyticsSettings, count: int = 1,
                    analyzer: Any = None) -> AsyncIterator[list[ServiceRuntime]]:
    async with AsyncExitStack() as stack:
        runtimes = []
        for _ in range(count):
            app = create_app(settings, clock=CLOCK, analyzer=analyzer)
            await stack.enter_async_context(app.router.lifespan_context(app))
            await runtime_of(app).wait_bus_ready(10)
            runtimes.append(runtime_of(app))
        yield runtimes


async def settled(runtime: ServiceRuntime, expected_events: int) -> list[Envelope]:
    """Wait until no job is pending, the outbox is published and ``expected_events``
    analyses are on the stream; then the stream's analyses."""
    assert runtime.js is not None
    js = runtime.js

    async def done() -> bool:
        pending = await runtime.pool.fetchval(
            "select count(*) from analysis_jobs where status = 'pending'")
        unpublished = await runtime.pool.fetchval(
            "select count(*) from outbox where published_at is null")
        return pending == 0 and unpublished == 0 and len(await analyses(js)) >= expected_events

    await eventually(done, 30, what="every analysis published", poll=0.05)
    return await analyses(js)


@pytest.fixture
async def llm() -> AsyncIterator[tuple[LlmState, str]]:
    state = LlmState()
    async with running_llm(state) as base_url:
        yield state, base_url


def make_settings(infra: ServerSet, schema: str, base_url: str,
                  **overrides: object) -> AnalyticsSettings:
    return settings_for(infra, AnalyticsSettings, service="analytics-service", schema=schema,
                        openai_base_url=base_url, **{**FAST, **overrides})


async def test_a_finished_call_is_analysed_once_even_when_redelivered(
    infra: ServerSet, fresh_schema: str, fresh_streams: None, llm: tuple[LlmState, str],
) -> None:
    state, base_url = llm
    tenant = uuid.uuid4()
    async with instances(make_settings(infra, fresh_schema, base_url)) as (runtime,):
        assert runtime.js is not None
        finished = conversation_completed(tenant, "CA-1", "Ich bin sehr enttäuscht, das ist "
                                          "schlecht.", outcome="no_availability")
        await publish(runtime.js, finished)
        (analysed,) = await settled(runtime, 1)
        assert analysed.aggregate_id == call_analysis_id(call_log_id("CA-1"))
        assert isinstance(analysed.data, CallAnalyzed) and analysed.version == 1
        assert analysed.data.call_id == call_log_id("CA-1")
        assert analysed.tenant_id == tenant and analysed.causation_id == finished.id
        assert analysed.correlation_id == finished.correlation_id
        data = analysed.data
        assert isinstance(data, CallAnalyzed)
        assert (data.call_id, data.sentiment, data.success, data.model) == (
            call_log_id("CA-1"), "NEGATIVE", False, "gpt-4o-mini")
        assert data.summary.startswith("Ich bin sehr enttäuscht, das ist schlecht")

        # The same event again (a new message id, so JetStream does not drop it: the
        # redelivery a crashed ack gives), and a call without a transcript.
        await publish(runtime.js, finished, msg_id="again")
        silent = new_event(CallCompleted(attempt=1, call_sid="CA-2", duration_seconds=3,
                                         outcome="caller_hung_up"),
                           aggregate_id=uuid.uuid4(), version=1, tenant_id=tenant,
                           correlation_id=uuid.uuid4(), clock=CLOCK, aggregate=CONVERSATION)
        await publish(runtime.js, silent)

        async def consumed() -> bool:
            assert runtime.js is not None
            info = await runtime.js.consumer_info("CALLS", "analytics-analysis-calls")
            return bool(info.ack_floor.stream_seq >= 3 and info.num_ack_pending == 0)

        await eventually(consumed, 20, what="both events consumed")
        assert len(await settled(runtime, 1)) == 1
        jobs = await runtime.pool.fetch("select call_id, status, attempts from analysis_jobs")
        assert [(r["call_id"], r["status"], r["attempts"]) for r in jobs] == [
            (call_log_id("CA-1"), "done", 1)]
        assert len(state.requests) == 1


async def test_a_failing_llm_is_retried_with_backoff_then_analyses(
    infra: ServerSet, fresh_schema: str, fresh_streams: None, llm: tuple[LlmState, str],
) -> None:
    state, base_url = llm
    state.fail_first, state.fail_status = 2, 429
    tenant = uuid.uuid4()
    async with instances(make_settings(infra, fresh_schema, base_url)) as (runtime,):
        assert runtime.js is not None
        await publish(runtime.js, conversation_completed(tenant, "CA-R", "Danke, super!"))
        (analysed,) = await settled(runtime, 1)
        assert isinstance(analysed.data, CallAnalyzed)
        assert (analysed.data.sentiment, analysed.data.success) == ("POSITIVE", True)
        row = await runtime.pool.fetchrow("select status, attempts, last_error, due_at,"
                                          " created_at from analysis_jobs")
        assert row is not None
        assert (row["status"], row["attempts"], row["last_error"]) == ("done", 3, None)
        assert row["due_at"] > row["created_at"]  # it waited for its retry
        assert state.failed == 2 and len(state.requests) == 1


class FlakyAnalyzer:
    """Stands in for OpenAI where the simulator cannot fail per call: every call whose
    transcript says "broken" fails, the others are analysed."""

    model = "fake-model"

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def analyse(self, transcript: str, hints: Sequence[str],
                      fields: Sequence[ExtractionField]) -> CallAnalysis:
        self.calls.append(transcript)
        if "broken" in transcript:
            raise AnalyzerFailed("the model answered 500: boom")
        return CallAnalysis(summary="ok", sentiment="NEUTRAL", success=True)


async def test_attempts_are_capped_and_a_failing_call_blocks_no_other(
    infra: ServerSet, fresh_schema: str, fresh_streams: None,
) -> None:
    tenant = uuid.uuid4()
    analyzer = FlakyAnalyzer()
    settings = make_settings(infra, fresh_schema, "http://unused/v1", analysis_max_attempts=3)
    async with instances(settings, analyzer=analyzer) as (runtime,):
        assert runtime.js is not None
        await publish(runtime.js, conversation_completed(tenant, "CA-BAD", "it is broken"))
        await publish(runtime.js, conversation_completed(tenant, "CA-OK", "hello"))
        (analysed,) = await settled(runtime, 1)
        assert analysed.aggregate_id == call_analysis_id(call_log_id("CA-OK"))
        rows = await runtime.pool.fetch("select call_id, status, attempts, last_error"
                                        " from analysis_jobs order by status")
        assert [(r["call_id"], r["status"], r["attempts"]) for r in rows] == [
            (call_log_id("CA-OK"), "done", 1), (call_log_id("CA-BAD"), "failed", 3)]
        assert rows[1]["last_error"] == "the model answered 500: boom"
        assert sum("broken" in t for t in analyzer.calls) == 3


async def test_two_replicas_analyse_each_call_exactly_once(
    infra: ServerSet, fresh_schema: str, fresh_streams: None, llm: tuple[LlmState, str],
) -> None:
    state, base_url = llm
    tenant = uuid.uuid4()
    sids = [f"CA-{i}" for i in range(12)]
    settings = make_settings(infra, fresh_schema, base_url, analysis_lanes=3)
    async with instances(settings, count=2) as runtimes:
        js = runtimes[0].js
        assert js is not None
        await asyncio.gather(*(publish(js, conversation_completed(tenant, sid, "grazie"))
                               for sid in sids))
        found = await settled(runtimes[0], len(sids))
        assert sorted(e.aggregate_id for e in found) == sorted(
            call_analysis_id(call_log_id(sid)) for sid in sids)
        assert len(state.requests) == len(sids)  # no call reached the LLM twice
        assert {e.tenant_id for e in found} == {tenant}


async def test_a_logged_call_is_analysed_in_its_tenant(
    infra: ServerSet, fresh_schema: str, fresh_streams: None, llm: tuple[LlmState, str],
) -> None:
    _, base_url = llm
    tenant, call_id = uuid.uuid4(), uuid.uuid4()
    logged: Callable[[str | None], CallLogged] = lambda transcript: CallLogged(  # noqa: E731
        tenant_id=tenant, client_id=uuid.uuid4(), api_key_id=uuid.uuid4(),
        duration_seconds=75, transcript=transcript)
    async with instances(make_settings(infra, fresh_schema, base_url)) as (runtime,):
        assert runtime.js is not None
        event = new_event(logged("Customer: the table is confirmed, wonderful!"),
                          aggregate_id=call_id, version=1, tenant_id=tenant,
                          correlation_id=call_id, clock=CLOCK)
        # As POST /api/calls writes it: into this service's own event store (and outbox,
        # which the relay publishes), where the analysis is stored beside it.
        async with runtime.pool.acquire() as conn, conn.transaction():
            await event_store.append(conn, [event])
        (analysed,) = await settled(runtime, 1)
        assert analysed.aggregate_id == call_analysis_id(call_id)
        assert analysed.tenant_id == tenant
        assert isinstance(analysed.data, CallAnalyzed) and analysed.data.call_id == call_id
        assert (analysed.data.sentiment, analysed.data.success) == ("POSITIVE", True)


async def test_an_analysis_already_stored_ends_the_job_instead_of_asking_again(
    infra: ServerSet, fresh_schema: str, fresh_streams: None, llm: tuple[LlmState, str],
) -> None:
    """The event store refuses a second analysis of a call (version 1 exists): the job
    is done, and the lane does not ask the LLM again at every poll."""
    state, base_url = llm
    tenant, sid = uuid.uuid4(), "CA-STORED"
    call_id = call_log_id(sid)
    earlier = new_event(
        CallAnalyzed(tenant_id=tenant, call_id=call_id, summary="earlier", sentiment="NEUTRAL",
                     success=True, model="earlier"),
        aggregate_id=call_analysis_id(call_id), version=1, tenant_id=tenant,
        correlation_id=call_id, clock=CLOCK)
    async with instances(make_settings(infra, fresh_schema, base_url)) as (runtime,):
        assert runtime.js is not None
        async with runtime.pool.acquire() as conn, conn.transaction():
            await event_store.append(conn, [earlier])
        await publish(runtime.js, conversation_completed(tenant, sid, "Perfetto, grazie!"))
        (stored,) = await settled(runtime, 1)
        assert stored.id == earlier.id  # the earlier analysis stands
        jobs = await runtime.pool.fetch("select status, attempts from analysis_jobs")
        assert [(r["status"], r["attempts"]) for r in jobs] == [("done", 1)]
        assert state.received == 1


async def test_a_replica_stopped_mid_analysis_leaves_the_call_to_another(
    infra: ServerSet, fresh_schema: str, fresh_streams: None, llm: tuple[LlmState, str],
) -> None:
    state, base_url = llm
    state.hold = asyncio.Event()  # the model does not answer the first replica
    tenant = uuid.uuid4()
    settings = make_settings(infra, fresh_schema, base_url)
    try:
        async with instances(settings) as (first,):
            assert first.js is not None
            await publish(first.js, conversation_completed(tenant, "CA-STOP", "grazie"))
            await eventually(lambda: state.received == 1, 20, what="the LLM asked")
        # The first replica stopped while its lane waited: its claim rolled back, and
        # the job is due for the next replica at once.
        state.hold.set()
        async with instances(settings) as (second,):
            (analysed,) = await settled(second, 1)
            assert analysed.aggregate_id == call_analysis_id(call_log_id("CA-STOP"))
            jobs = await second.pool.fetch("select status, attempts from analysis_jobs")
            # The interrupted attempt counted nothing: it never finished.
            assert [(r["status"], r["attempts"]) for r in jobs] == [("done", 1)]
    finally:
        state.hold.set()
    assert state.received == 2  # asked once by each replica, analysed once


async def test_an_assistants_own_fields_are_extracted_from_the_calls_it_answers(
    infra: ServerSet, fresh_schema: str, fresh_streams: None, llm: tuple[LlmState, str],
) -> None:
    """The number's assistant names its extraction fields (CATALOG); an inbound call on
    that line (call_started names it) is analysed with them, and the call log holds the
    call's assistant and the values extracted."""
    state, base_url = llm
    tenant, assistant, number = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    line, sid = "+390212345678", "CA-FIELDS"
    fields = (AnalysisField(name="party_size", type="integer", description="people booked"),
              AnalysisField(name="treatment", description="what was booked"))
    catalog = [
        new_event(AssistantCreated(name="Spa desk", analysis_fields=fields),
                  aggregate_id=assistant, version=1, tenant_id=tenant,
                  correlation_id=assistant, clock=CLOCK),
        new_event(PhoneNumberAdded(phone_number=line, assistant_id=assistant),
                  aggregate_id=number, version=1, tenant_id=tenant, correlation_id=number,
                  clock=CLOCK),
    ]
    session = uuid.uuid4()
    started = new_event(CallStarted(attempt=1, call_sid=sid, number="+393471000001", line=line),
                        aggregate_id=session, version=1, tenant_id=tenant,
                        correlation_id=session, clock=CLOCK, aggregate=INBOUND_CALL)
    lines = (TranscriptLine(speaker="agent", text="Santa Caterina, buongiorno.", at_ms=0),
             TranscriptLine(speaker="callee", text="Two of us, a massage please.", at_ms=900))
    ended = new_event(CallCompleted(attempt=1, call_sid=sid, duration_seconds=50,
                                    outcome="booked", transcript=lines),
                      aggregate_id=uuid.uuid4(), version=1, tenant_id=tenant,
                      correlation_id=session, clock=CLOCK, aggregate=INBOUND_CALL)
    async with instances(make_settings(infra, fresh_schema, base_url)) as (runtime,):
        assert runtime.js is not None
        await publish(runtime.js, *catalog, started)
        pool = runtime.pool

        async def attributed() -> bool:
            return await pool.fetchval("select assistant_id from calls where id = $1",
                                       call_log_id(sid)) == assistant

        await eventually(attributed, 20, what="the call's assistant, from its line")
        await publish(runtime.js, ended)
        (analysed,) = await settled(runtime, 1)
        assert isinstance(analysed.data, CallAnalyzed)
        assert set(analysed.data.extraction) == {"party_size", "treatment"}
        assert isinstance(analysed.data.extraction["party_size"], int)
        # The LLM was asked for them: the request's schema names both fields.
        (request,) = state.requests
        assert "party_size" in orjson.dumps(request).decode()

        async def extracted() -> bool:
            row = await pool.fetchrow("select extraction from calls where id = $1",
                                      call_log_id(sid))
            return row is not None and row["extraction"] is not None

        await eventually(extracted, 20, what="the extraction in the call log")
