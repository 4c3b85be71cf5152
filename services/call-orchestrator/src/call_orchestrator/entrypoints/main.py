"""``call-orchestrator``: run the service (settings from the environment)."""

from __future__ import annotations

from ringbook.web.serve import run_service

from call_orchestrator.entrypoints.app import create_app
from call_orchestrator.settings import OrchestratorSettings


def main() -> None:
    run_service(OrchestratorSettings, create_app)


if __name__ == "__main__":
    main()
