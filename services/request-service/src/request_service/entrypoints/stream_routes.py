"""``GET /api/requests/{id}/stream``: the request's timeline as server-sent events.

First the entries the client has not seen (all of them, or those after the
``Last-Event-ID`` it reconnects with), then each new one as the projection commits
it. Every event is ``event: timeline``, ``id: <seq>`` (monotonic per request, so a
reconnecting EventSource resumes exactly where it stopped) and data
``{"type", "message", "created_at", "status"}``. The stream stays open after a
terminal status: ``call_completed`` follows ``booking_confirmed``.

Browsers' EventSource cannot set headers, so the token may also come as
``?access_token=`` (the service logs no URLs; keep it out of proxies' logs too).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request
from ringbook.auth import InvalidToken, Principal
from ringbook.logging import get_logger
from ringbook.web.errors import ApiError
from ringbook.web.routing import PlatformRoute
from ringbook.web.security import principal_of
from sse_starlette import EventSourceResponse, ServerSentEvent

from request_service.adapters.timeline_hub import TimelineHub
from request_service.application.ports import RequestQueries, StoreUnavailable
from request_service.entrypoints.dependencies import GatewayDep, owner_of
from request_service.entrypoints.request_routes import NOT_FOUND, parse_request_id

router = APIRouter(prefix="/api/requests", tags=["requests"], route_class=PlatformRoute)
log = get_logger(__name__)
BATCH = 500


async def stream_principal(
    request: Request,
    gateway: GatewayDep,
    access_token: Annotated[str | None, Query(max_length=4096)] = None,
) -> Principal:
    """The bearer header if sent, else the ``access_token`` query parameter."""
    if request.headers.get("authorization") or not access_token:
        return principal_of(request)
    try:
        return gateway.tokens.verify(access_token)
    except InvalidToken:
        raise ApiError(401, "Invalid or expired token") from None


# A timeline seq is a Postgres bigint; the id of an event we sent is its decimal digits.
_ISSUED_ID = re.compile(r"[0-9]{1,19}", re.ASCII)
_MAX_SEQ = 2**63 - 1


def resume_after(last_event_id: str | None) -> int:
    """The seq to resume after; 0 (from the start) for anything we never issued.

    Only ASCII digits count: ``str.isdigit`` also accepts "²" and "١٢", which ``int``
    then refuses or reads as a number we never sent. A browser's EventSource treats any
    answer but 200 as final, so an id we cannot read restarts the stream rather than
    failing it: the client sees every entry again, in order, and loses none.
    """
    text = (last_event_id or "").strip()
    if not _ISSUED_ID.fullmatch(text) or int(text) > _MAX_SEQ:
        return 0
    return int(text)


async def timeline_events(
    queries: RequestQueries, hub: TimelineHub, request_id: uuid.UUID, after: int
) -> AsyncIterator[ServerSentEvent]:
    # Subscribe before the first read: an entry committed between the read and the
    # subscription would otherwise be missed until the next one woke us.
    with hub.subscribe(request_id) as subscription:
        last = after
        while True:
            try:
                entries = await queries.timeline_after(request_id, last, limit=BATCH)
            except StoreUnavailable:
                # End the stream; the browser reconnects with Last-Event-ID and resumes.
                log.warning("timeline_stream_store_unavailable", request_id=str(request_id))
                return
            for entry in entries:
                last = entry.seq
                data = {
                    "type": entry.type,
                    "message": entry.message,
                    "created_at": entry.occurred_at.isoformat(),
                    "status": str(entry.status),
                }
                yield ServerSentEvent(
                    data=orjson.dumps(data).decode(), event="timeline", id=str(entry.seq)
                )
            if len(entries) < BATCH:
                await subscription.wait()


@router.get("/{request_id}/stream", response_class=EventSourceResponse)
async def stream_timeline(
    request_id: str,
    principal: Annotated[Principal, Depends(stream_principal)],
    gateway: GatewayDep,
    last_event_id: Annotated[str | None, Header()] = None,
) -> EventSourceResponse:
    """Server-sent events of the request's timeline (see the module docstring)."""
    record = await gateway.queries.get(parse_request_id(request_id), owner_of(principal))
    if record is None:
        raise ApiError(404, NOT_FOUND)
    if gateway.hub.subscriber_count >= gateway.hub.max_subscribers:
        raise ApiError(503, "Too many live streams, retry later")
    events = timeline_events(
        gateway.queries, gateway.hub, record.request_id, resume_after(last_event_id)
    )
    return EventSourceResponse(events, ping=gateway.settings.sse_ping_seconds)
