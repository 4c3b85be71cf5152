"""``request-service`` console script: settings from the environment, then serve."""

from __future__ import annotations

from ringbook.web.serve import run_service

from request_service.entrypoints.app import create_app
from request_service.settings import RequestServiceSettings


def main() -> None:
    run_service(RequestServiceSettings, create_app)


if __name__ == "__main__":
    main()
