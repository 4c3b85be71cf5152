"""Wiring of call-orchestrator: consumers of the requests context, of conversations'
results and bookings and of catalog-service's numbers and hours, the dialer, the
hang-up loop, webhooks."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from ringbook.clock import Clock, SystemClock
from ringbook.contracts.streams import CALLS, CATALOG, REQUESTS
from ringbook.runtime import ServiceRuntime
from ringbook.stream_tokens import StreamTokens
from ringbook.web.app import create_service_app

import call_orchestrator
from call_orchestrator.adapters.twilio_telephony import TwilioTelephony
from call_orchestrator.adapters.unit_of_work import PgUnitOfWork
from call_orchestrator.application.context import Orchestration
from call_orchestrator.application.dialer import Dialer
from call_orchestrator.application.telephony import Telephony
from call_orchestrator.entrypoints.consumers import (
    catalog_consumer,
    conversation_consumers,
    requests_consumer,
)
from call_orchestrator.entrypoints.dependencies import Orchestrator, TwilioWebhookAuth
from call_orchestrator.entrypoints.dialer_loop import DialerLoop
from call_orchestrator.entrypoints.hangup_loop import HangupLoop
from call_orchestrator.entrypoints.inbound import InboundConfig
from call_orchestrator.entrypoints.inbound import router as inbound
from call_orchestrator.entrypoints.internal import router as internal
from call_orchestrator.entrypoints.outbound import router as outbound
from call_orchestrator.entrypoints.webhooks import router as webhooks
from call_orchestrator.settings import OrchestratorSettings

MIGRATIONS = Path(call_orchestrator.__file__).resolve().parents[2] / "migrations"


def create_app(
    settings: OrchestratorSettings,
    clock: Clock | None = None,
    telephony: Telephony | None = None,
) -> FastAPI:
    clock = clock or SystemClock()
    runtime = ServiceRuntime(settings=settings, migrations_dir=MIGRATIONS,
                             streams=[REQUESTS, CALLS, CATALOG], clock=clock)
    ctx = Orchestration(
        clock=clock,
        telephony=telephony or TwilioTelephony(
            settings.twilio_account_sid,
            settings.twilio_auth_token.get_secret_value(),
            settings.carrier_api_base_url,
        ),
        hours=settings.hours,
        retry_policy=settings.retry_policy,
        fallback_timezone=settings.default_callee_timezone,
        from_number=settings.twilio_from_number,
        public_base_url=settings.public_base_url,
        media_stream_url=settings.media_stream_url,
        reconcile_seconds=settings.dial_reconcile_seconds,
        result_grace_seconds=settings.conversation_report_grace_seconds,
    )
    runtime.add_consumer(*requests_consumer(ctx))
    for consumer in conversation_consumers(ctx):
        runtime.add_consumer(*consumer)
    runtime.add_consumer(*catalog_consumer())

    async def dialer(rt: ServiceRuntime) -> None:
        await DialerLoop(
            Dialer(uow=PgUnitOfWork(rt.pool), ctx=ctx, limits=settings.dial_limits,
                   checks=settings.carrier_checks),
            dsn=settings.database_url, schema=settings.schema_name,
            sweep_seconds=settings.dialer_sweep_seconds,
        ).run()

    async def hangups(rt: ServiceRuntime) -> None:
        await HangupLoop(uow=PgUnitOfWork(rt.pool), dsn=settings.database_url,
                         schema=settings.schema_name, ctx=ctx).run()

    runtime.add_job("dialer", dialer)
    runtime.add_job("hangups", hangups)

    async def on_start(app: FastAPI, rt: ServiceRuntime) -> None:
        app.state.orchestrator = Orchestrator(ctx=ctx, uow=PgUnitOfWork(rt.pool))

    app = create_service_app(runtime, title="Ringbook call-orchestrator",
                             routers=[webhooks, outbound, inbound, internal], on_start=on_start)
    app.state.twilio_webhooks = TwilioWebhookAuth(
        public_base_url=settings.public_base_url,
        auth_token=settings.twilio_auth_token.get_secret_value(),
    )
    app.state.inbound = InboundConfig.from_settings(settings)
    # Mints the stream token of every call we connect to media-bridge (outbound, inbound).
    app.state.stream_tokens = StreamTokens(
        settings.media_stream_token_secret.get_secret_value(), clock=clock,
        ttl=timedelta(seconds=settings.media_stream_token_ttl_seconds),
    )
    return app
