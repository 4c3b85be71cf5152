"""``call-orchestrator``: run the service (settings from the environment)."""

from __future__ import annotations

from ringbook.logging import configure_logging
from ringbook.web.serve import serve

from call_orchestrator.entrypoints.app import create_app
from call_orchestrator.settings import OrchestratorSettings


def main() -> None:
    settings = OrchestratorSettings()
    configure_logging(service=settings.service_name, level=settings.log_level,
                      json=settings.log_json)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
