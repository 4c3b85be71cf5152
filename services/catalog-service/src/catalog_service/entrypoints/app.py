"""catalog-service's app: the catalog's HTTP API (seeds 001, 002 and 003's leads), the CATALOG
stream it publishes through its outbox, and the tool usage consumer of CALLS.

Nothing happens at import or in ``create_app`` beyond building objects: migrations,
the pool, NATS and the consumer start in the lifespan. The outside edges (DNS, the
carrier) can be replaced by a test through :class:`Edges`; production uses what the
settings say (the blob store too: FILE_STORE).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from ringbook.clock import Clock, SystemClock
from ringbook.contracts.streams import CALLS, CATALOG
from ringbook.runtime import ServiceRuntime
from ringbook.settings import Environment
from ringbook.web.app import create_service_app

import catalog_service
from catalog_service.adapters.endpoint_guard import NetGuardEndpoints, Resolver
from catalog_service.adapters.pg_catalog import PgUnitOfWork
from catalog_service.adapters.simulated_numbers import SimulatedNumbers
from catalog_service.adapters.twilio_messages import TwilioMessages
from catalog_service.adapters.twilio_numbers import TwilioNumbers
from catalog_service.application.ports import NumberProvisioning
from catalog_service.application.tools import ToolSecrets
from catalog_service.entrypoints import (
    ai_routes,
    assistant_link_routes,
    assistant_routes,
    booking_routes,
    business_hours_routes,
    client_routes,
    errors,
    file_routes,
    lead_import_routes,
    lead_routes,
    phone_number_routes,
    slot_routes,
    tool_routes,
)
from catalog_service.entrypoints.consumers import booking_sms_consumer, tool_usage_consumer
from catalog_service.entrypoints.dependencies import Catalog
from catalog_service.entrypoints.envelope import SeedEnvelopeMiddleware
from catalog_service.entrypoints.file_wiring import blob_store, classifier, extraction
from catalog_service.entrypoints.lead_wiring import (
    leads_for,
    openai_lead_model,
    wire_lead_analysis,
)
from catalog_service.settings import CatalogSettings


def migrations_dir() -> Path:
    return Path(catalog_service.__file__).resolve().parents[2] / "migrations"


@dataclass(frozen=True)
class Edges:
    """Replacements for the outside world (tests); None: what the settings say."""

    resolve: Resolver | None = None  # DNS of tool endpoints
    provisioning: NumberProvisioning | None = None
    extraction: bool = True  # False: no extraction worker (uploads stay "uploading")


def provisioning_for(settings: CatalogSettings) -> NumberProvisioning:
    if settings.telephony_provider == "twilio":
        production = settings.environment is Environment.PRODUCTION
        return TwilioNumbers(
            settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value(),
            webhook_base_url=settings.public_webhook_base_url,
            api_base_url=None if production else settings.twilio_api_base_url,
        )
    return SimulatedNumbers()


def booking_sms_sender(settings: CatalogSettings) -> TwilioMessages:
    # Production always talks to Twilio itself; elsewhere TWILIO_API_BASE_URL may name
    # the simulated carrier, which records the texts.
    production = settings.environment is Environment.PRODUCTION
    return TwilioMessages(settings.twilio_account_sid,
                          settings.twilio_auth_token.get_secret_value(),
                          api_base_url=None if production else settings.twilio_api_base_url)


def create_app(settings: CatalogSettings, clock: Clock | None = None,
               edges: Edges | None = None) -> FastAPI:
    edges = edges or Edges()
    clock = clock or SystemClock()
    runtime = ServiceRuntime(
        settings=settings,
        migrations_dir=migrations_dir(),
        streams=[CATALOG, CALLS],
        relay=True,
        clock=clock,
    )
    runtime.add_consumer(*tool_usage_consumer())
    if settings.send_booking_sms:
        runtime.add_consumer(*booking_sms_consumer(
            booking_sms_sender(settings), from_number=settings.booking_sms_from or None,
            clock=clock))
    blobs = blob_store(settings)
    if edges.extraction:
        runtime.add_consumer(*extraction(settings, blobs, clock))
    lead_model = openai_lead_model(settings)
    wire_lead_analysis(runtime, settings, lead_model, clock)
    allow_private = (settings.tool_allow_private_addresses
                     and settings.environment is Environment.DEVELOPMENT)
    endpoints = (NetGuardEndpoints(allow_private=allow_private) if edges.resolve is None
                 else NetGuardEndpoints(allow_private=allow_private, resolve=edges.resolve))

    async def on_start(app: FastAPI, rt: ServiceRuntime) -> None:
        app.state.catalog = Catalog(
            uow=PgUnitOfWork(rt.pool),
            clock=clock,
            tool_secrets=ToolSecrets(settings.secret_box()),
            endpoints=endpoints,
            provisioning=edges.provisioning or provisioning_for(settings),
            blobs=blobs,
            classify=classifier(),
            file_max_bytes=settings.file_max_bytes,
            limits=settings.rate_limits(),
        )
        app.state.leads = leads_for(settings, rt, lead_model, clock)

    async def on_stop(app: FastAPI, rt: ServiceRuntime) -> None:
        await lead_model.close()

    upload_limit = file_routes.upload_limit(settings.file_max_bytes)
    app = create_service_app(
        runtime,
        title="Ringbook catalog-service",
        routers=[
            assistant_routes.router,
            assistant_link_routes.router,
            tool_routes.router,
            file_routes.router,
            phone_number_routes.router,
            business_hours_routes.router,
            client_routes.router,
            slot_routes.router,
            booking_routes.router,
            lead_import_routes.router,
            lead_routes.router,
            ai_routes.router,
        ],
        on_start=on_start,
        on_stop=on_stop,
        # Only the upload and import routes take bodies larger than MAX_BODY_BYTES.
        body_limits={file_routes.PATH: upload_limit, file_routes.PATH + "/": upload_limit,
                     lead_import_routes.PATH: settings.lead_import_max_bytes},
    )
    errors.install(app)
    # Added last, so outermost: it sees the platform middleware's own refusals too.
    app.add_middleware(SeedEnvelopeMiddleware)
    return app
