"""Process entry point: ``analytics-service`` (settings from the environment)."""

from __future__ import annotations

from ringbook.logging import configure_logging
from ringbook.web.serve import serve

from analytics_service.entrypoints.app import create_app
from analytics_service.settings import AnalyticsSettings


def main() -> None:
    settings = AnalyticsSettings()
    configure_logging(
        service=settings.service_name, level=settings.log_level, json=settings.log_json
    )
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
