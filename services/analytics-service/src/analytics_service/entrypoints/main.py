"""Process entry point: ``analytics-service`` (settings from the environment)."""

from __future__ import annotations

from ringbook.web.serve import run_service

from analytics_service.entrypoints.app import create_app
from analytics_service.settings import AnalyticsSettings


def main() -> None:
    run_service(AnalyticsSettings, create_app)


if __name__ == "__main__":
    main()
