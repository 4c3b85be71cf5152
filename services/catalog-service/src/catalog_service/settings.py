"""catalog-service settings: the shared ones, with this service's name and port."""

from __future__ import annotations

from ringbook.settings import ServiceSettings


class CatalogSettings(ServiceSettings):
    service_name: str = "catalog-service"
    http_port: int = 8003
