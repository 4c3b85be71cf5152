"""analytics-service settings: the shared ones, with this service's name and port."""

from __future__ import annotations

from ringbook.settings import ServiceSettings


class AnalyticsSettings(ServiceSettings):
    service_name: str = "analytics-service"
    http_port: int = 8004
