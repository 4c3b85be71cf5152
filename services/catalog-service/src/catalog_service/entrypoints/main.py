"""Process entry point: ``catalog-service`` (settings from the environment)."""

from __future__ import annotations

from ringbook.logging import configure_logging
from ringbook.web.serve import serve

from catalog_service.entrypoints.app import create_app
from catalog_service.settings import CatalogSettings


def main() -> None:
    settings = CatalogSettings()
    configure_logging(
        service=settings.service_name, level=settings.log_level, json=settings.log_json
    )
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
