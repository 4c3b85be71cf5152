"""``python -m ringbook_simulators.carrier``: run the SIMULATED carrier (not Twilio)."""

from __future__ import annotations

import structlog
import uvicorn

from ringbook_simulators.carrier.rest_api import create_carrier_app
from ringbook_simulators.carrier.settings import CarrierSettings


def main() -> None:
    settings = CarrierSettings()
    structlog.get_logger("ringbook_simulators.carrier").info(
        "starting SIMULATED carrier: plays Twilio's REST API and Media Streams, places no "
        "real calls",
        host=settings.host,
        port=settings.port,
        account_sid=settings.account_sid,
        api_base_url=f"http://{settings.host}:{settings.port}",
    )
    uvicorn.run(create_carrier_app(settings), host=settings.host, port=settings.port)


if __name__ == "__main__":
    main()
