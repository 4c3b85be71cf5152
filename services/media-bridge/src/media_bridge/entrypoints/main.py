"""Process entry point: ``media-bridge`` (settings from the environment)."""

from __future__ import annotations

from ringbook.web.serve import run_service

from media_bridge.entrypoints.app import create_app
from media_bridge.settings import MediaBridgeSettings


def main() -> None:
    run_service(MediaBridgeSettings, create_app)


if __name__ == "__main__":
    main()
