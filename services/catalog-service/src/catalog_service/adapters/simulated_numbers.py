"""Numbers without a carrier account (TELEPHONY_PROVIDER=simulated): a number is only
claimed in the catalog; the simulated carrier rings call-orchestrator for any number."""

from __future__ import annotations

from catalog_service.application.ports import ProvisionedNumber


class SimulatedNumbers:
    async def import_number(self, number: str) -> ProvisionedNumber:
        return ProvisionedNumber(provider="simulated", capabilities={"voice": True})
