"""Process entry point: ``catalog-service`` (settings from the environment)."""

from __future__ import annotations

from ringbook.web.serve import run_service

from catalog_service.entrypoints.app import create_app
from catalog_service.settings import CatalogSettings


def main() -> None:
    run_service(CatalogSettings, create_app)


if __name__ == "__main__":
    main()
