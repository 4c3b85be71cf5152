"""Process entry point: ``media-bridge`` (settings from the environment)."""

from __future__ import annotations

from ringbook.logging import configure_logging
from ringbook.web.serve import serve

from media_bridge.entrypoints.app import create_app
from media_bridge.settings import MediaBridgeSettings


def main() -> None:
    settings = MediaBridgeSettings()
    configure_logging(
        service=settings.service_name, level=settings.log_level, json=settings.log_json
    )
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
