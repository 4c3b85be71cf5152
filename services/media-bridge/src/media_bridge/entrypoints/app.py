"""media-bridge's app: the Media Streams websocket bridged to the realtime model, plus
the platform endpoints.

It declares CALLS (the conversation events it appends go out through the outbox
relay) and consumes REQUESTS (``media-bridge-requests``: the ``call_requests``
projection outbound calls are briefed from) and CATALOG (``media-bridge-catalog``: who
answers each business number, with which assistant, tools and knowledge). One
``AsyncOpenAI`` client and two ``httpx.AsyncClient`` (hang-up requests; the businesses'
HTTP tools, guarded) are shared by every call of the process: the adapters are chosen
here and handed to the calls as a :class:`CallWiring`; the application knows them only
by their ports.
"""

from __future__ import annotations

import functools
import gc
from pathlib import Path

import httpx
from fastapi import FastAPI
from openai import AsyncOpenAI
from ringbook.bus.worker import ConsumerSpec
from ringbook.clock import Clock, SystemClock
from ringbook.contracts.bookings import SLOT_SCHEDULE
from ringbook.contracts.streams import CALLS, CATALOG, REQUESTS
from ringbook.events import Envelope
from ringbook.runtime import ServiceRuntime
from ringbook.settings import Environment
from ringbook.store.database import Conn
from ringbook.stream_tokens import StreamTokens
from ringbook.web.app import create_service_app

import media_bridge
from media_bridge.adapters.catalog_functions import CatalogBookingFunctions
from media_bridge.adapters.catalog_projection_repository import PostgresCatalogProjection
from media_bridge.adapters.catalog_view import PostgresCatalogView
from media_bridge.adapters.conversation_repository import (
    PostgresConversationStore,
    on_request_received,
)
from media_bridge.adapters.http_tools import HttpToolRequests, tool_http_client
from media_bridge.adapters.media_sessions_repository import PostgresSessionRecorder
from media_bridge.adapters.openai_realtime import OpenAIRealtimeModel
from media_bridge.adapters.orchestrator_client import OrchestratorHangup
from media_bridge.adapters.used_stream_tokens import PostgresUsedStreamTokens
from media_bridge.application.assistant_tools import AssistantServices
from media_bridge.application.booking_lines import BOOKING_LINES_CONSUMER, project_booking_line
from media_bridge.application.catalog_projection import (
    CATALOG_CONSUMER,
    FOLLOWED,
    project_catalog_event,
)
from media_bridge.application.stream_admission import StreamAdmission
from media_bridge.entrypoints.dependencies import CallWiring, call_wiring
from media_bridge.entrypoints.media_stream import MediaStreamEndpoint, media_stream_router
from media_bridge.settings import MediaBridgeSettings

REQUESTS_CONSUMER = "media-bridge-requests"


def migrations_dir() -> Path:
    return Path(media_bridge.__file__).resolve().parents[2] / "migrations"


def create_app(settings: MediaBridgeSettings, clock: Clock | None = None) -> FastAPI:
    runtime = ServiceRuntime(
        settings=settings,
        migrations_dir=migrations_dir(),
        streams=[CALLS, REQUESTS, CATALOG],
        relay=True,
        clock=clock or SystemClock(),
    )
    runtime.add_consumer(
        ConsumerSpec(
            durable=REQUESTS_CONSUMER,
            stream=REQUESTS,
            filter_subjects=[REQUESTS.subject_filter(event_type="request_received")],
        ),
        on_request_received,
    )
    runtime.add_consumer(
        ConsumerSpec(
            durable=CATALOG_CONSUMER,
            stream=CATALOG,
            # Every event of each followed aggregate (in_order needs all its versions).
            filter_subjects=[CATALOG.subject_filter(aggregate=a) for a in FOLLOWED],
        ),
        on_catalog_event,
    )
    runtime.add_consumer(
        ConsumerSpec(
            durable=BOOKING_LINES_CONSUMER,
            stream=CATALOG,
            filter_subjects=[CATALOG.subject_filter(aggregate=SLOT_SCHEDULE)],
        ),
        on_booking_line_event,
    )

    async def on_start(app: FastAPI, runtime: ServiceRuntime) -> None:
        openai = AsyncOpenAI(
            api_key=settings.openai_api_key.get_secret_value(),
            base_url=settings.openai_base_url or None,
        )
        http = httpx.AsyncClient()
        tool_http = tool_http_client()
        assistants = AssistantServices(
            catalog=PostgresCatalogView(runtime.pool),
            requests=HttpToolRequests(
                tool_http,
                settings.secret_box(),
                max_timeout_seconds=settings.tool_timeout_max_seconds,
                max_response_bytes=settings.tool_max_response_bytes,
                allow_private=(settings.tool_allow_private_addresses
                               and settings.environment is Environment.DEVELOPMENT),
            ),
            lookup_timeout_seconds=settings.catalog_lookup_timeout_seconds,
            search_timeout_seconds=settings.knowledge_search_timeout_seconds,
            bookings=CatalogBookingFunctions(
                http,
                base_url=settings.catalog_service_url,
                token=settings.internal_token.get_secret_value(),
                timeout=settings.booking_function_timeout_seconds,
            ),
        )

        async def connect_model() -> OpenAIRealtimeModel:
            return await OpenAIRealtimeModel.connect(openai, settings)

        app.state.calls = CallWiring(
            model_factory=connect_model,
            store=PostgresConversationStore(runtime.pool),
            hangup=OrchestratorHangup(
                http,
                base_url=settings.orchestrator_url,
                token=settings.internal_token.get_secret_value(),
                timeout=settings.hangup_timeout_seconds,
            ),
            gate=StreamAdmission(
                StreamTokens(settings.media_stream_token_secret.get_secret_value(),
                             clock=runtime.clock),
                PostgresUsedStreamTokens(runtime.pool),
                runtime.clock,
            ),
            recorder=PostgresSessionRecorder(runtime.pool),
            clock=runtime.clock,
            assistants=assistants,
            closers=(http.aclose, tool_http.aclose, openai.close),
        )
        # Everything alive now (modules, the app, the pools) lives as long as the process:
        # moved out of the cyclic collector's reach, a full collection scans only the
        # calls' own objects instead of ~100 MB of start-up heap, which stalled every
        # live call's audio for ~100 ms at a time at 100 calls.
        gc.collect()
        gc.freeze()

    async def on_stop(app: FastAPI, runtime: ServiceRuntime) -> None:
        await call_wiring(app).close()

    endpoint = MediaStreamEndpoint(settings)
    # SIGTERM drains: new streams refused, live calls kept until they end (or time out).
    runtime.drain_with(functools.partial(endpoint.calls.drain, settings.drain_timeout_seconds))
    router = media_stream_router(endpoint)
    return create_service_app(
        runtime,
        title="Ringbook media-bridge",
        routers=[router],
        on_start=on_start,
        on_stop=on_stop,
    )


async def on_catalog_event(conn: Conn, event: Envelope) -> None:
    """Consumer ``media-bridge-catalog``, in the worker's transaction."""
    await project_catalog_event(PostgresCatalogProjection(conn), event)


async def on_booking_line_event(conn: Conn, event: Envelope) -> None:
    """Consumer ``media-bridge-booking-lines``, in the worker's transaction."""
    await project_booking_line(PostgresCatalogProjection(conn), event)
