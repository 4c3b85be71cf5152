"""JSON logs via structlog, with the correlation id of the current request or event.

The correlation id lives in a contextvar (structlog.contextvars), so every line logged
while handling one request or one event carries it without being passed around.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog


def configure_logging(*, service: str, level: str = "INFO", json: bool = True) -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stdout),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service)
    # Libraries (uvicorn, asyncpg) log through stdlib logging; route them to stdout too.
    logging.basicConfig(stream=sys.stdout, level=level.upper(), format="%(name)s %(message)s")


@contextmanager
def correlation(correlation_id: str | None, **extra: Any) -> Iterator[None]:
    """Bind a correlation id (and extras) for the duration of one unit of work."""
    tokens = structlog.contextvars.bind_contextvars(correlation_id=correlation_id, **extra)
    try:
        yield
    finally:
        structlog.contextvars.reset_contextvars(**tokens)


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
