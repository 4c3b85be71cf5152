"""``python -m analytics_service.entrypoints.rebuild``: rebuild analytics-service's
projections (``entrypoints.projections``) by replay, against the database, schema and
NATS servers the service itself is configured with (``ringbook.store.rebuild_cli``; the
same options override them)."""

from __future__ import annotations

import sys
from functools import partial

from ringbook.store.rebuild_cli import main as rebuild_main

from analytics_service.entrypoints.projections import projections
from analytics_service.settings import AnalyticsSettings


def main() -> None:
    settings = AnalyticsSettings()
    defaults = ["--database-url", settings.database_url, "--schema", settings.schema_name,
                "--nats-url", settings.nats_url]
    # The defaults first: an option given on the command line comes later and wins.
    rebuild_main(defaults + sys.argv[1:], factory=partial(projections, settings.prices))


if __name__ == "__main__":
    main()
