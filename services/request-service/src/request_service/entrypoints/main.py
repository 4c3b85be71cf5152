"""``request-service`` console script: settings from the environment, then serve."""

from __future__ import annotations

from ringbook.logging import configure_logging
from ringbook.web.serve import serve

from request_service.entrypoints.app import create_app
from request_service.settings import RequestServiceSettings


def main() -> None:
    settings = RequestServiceSettings()
    configure_logging(
        service=settings.service_name, level=settings.log_level, json=settings.log_json
    )
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
