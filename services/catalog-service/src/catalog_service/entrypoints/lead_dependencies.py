"""What the lead routes receive: the leads' store, the language model and the lead
settings, wired once the runtime has started (``app.state.leads``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from ringbook.clock import Clock
from ringbook.web.rate_limits import RateLimitExceeded, RateLimits
from ringbook.web.state import wired

from catalog_service.application.lead_ports import LeadModel, LeadStore
from catalog_service.domain.leads import ActionRules


@dataclass(frozen=True)
class Leads:
    store: LeadStore
    model: LeadModel
    clock: Clock
    rules: ActionRules
    max_rows: int
    phone_region: str
    default_language: str
    limits: RateLimits

    def limit(self, name: str, key: str) -> None:
        try:
            self.limits.hit(name, key)
        except RateLimitExceeded as exc:
            raise exc.as_api_error() from None


async def get_leads(request: Request) -> Leads:
    return wired(request, "leads", Leads)


LeadsDep = Annotated[Leads, Depends(get_leads)]
