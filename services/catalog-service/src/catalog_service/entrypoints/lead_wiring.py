"""Wiring of the leads: the model's adapter, the analysis lanes (runtime jobs:
supervised, named, cancelled on stop; they need only Postgres and the model), and what
the lead routes receive."""

from __future__ import annotations

from ringbook.clock import Clock
from ringbook.runtime import BackgroundJob, ServiceRuntime

from catalog_service.adapters.openai_leads import OpenAILeadModel
from catalog_service.adapters.pg_lead_jobs import PgLeadJobs
from catalog_service.adapters.pg_leads import PgLeadStore
from catalog_service.application.lead_analysis import LeadAnalysisLane
from catalog_service.application.lead_ports import LeadModel
from catalog_service.entrypoints.lead_dependencies import Leads
from catalog_service.settings import CatalogSettings


def openai_lead_model(settings: CatalogSettings) -> OpenAILeadModel:
    return OpenAILeadModel(api_key=settings.openai_api_key.get_secret_value(),
                           model=settings.openai_model, base_url=settings.openai_endpoint,
                           timeout_seconds=settings.openai_timeout_seconds)


def wire_lead_analysis(runtime: ServiceRuntime, settings: CatalogSettings, model: LeadModel,
                       clock: Clock) -> None:
    if not settings.lead_analysis_enabled:
        return

    def lane() -> BackgroundJob:
        async def run(rt: ServiceRuntime) -> None:
            await LeadAnalysisLane(
                store=PgLeadStore(rt.pool), jobs=PgLeadJobs(rt.pool), model=model,
                policy=settings.lead_analysis_backoff(), clock=clock,
                poll_seconds=settings.lead_analysis_poll_seconds,
                lease_seconds=settings.lead_analysis_lease_seconds,
                default_language=settings.lead_default_language).run()
        return run

    for i in range(settings.lead_analysis_lanes):
        runtime.add_job(f"lead-analysis-{i}", lane())


def leads_for(settings: CatalogSettings, runtime: ServiceRuntime, model: LeadModel,
              clock: Clock) -> Leads:
    return Leads(store=PgLeadStore(runtime.pool), model=model, clock=clock,
                 rules=settings.action_rules(), max_rows=settings.lead_import_max_rows,
                 phone_region=settings.lead_phone_region,
                 default_language=settings.lead_default_language,
                 limits=settings.rate_limits())
