"""What routes receive: the projection's read side, wired once the runtime has started
(the pool exists only then), as an ``Annotated`` dependency."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from ringbook.clock import Clock
from ringbook.web.state import wired


@dataclass(frozen=True)
class Analytics:
    """The read API's collaborators for this process (``app.state.analytics``)."""

    pool: asyncpg.Pool
    clock: Clock


def get_analytics(request: Request) -> Analytics:
    return wired(request, "analytics", Analytics)


AnalyticsDep = Annotated[Analytics, Depends(get_analytics)]
