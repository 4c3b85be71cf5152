"""Applying one aggregate's events strictly in version order (G8), past dead letters (G9).

JetStream delivers a stream in order, but a ``nak`` with delay lets later messages
overtake an earlier one. A projection that must not skip a step calls ``in_order`` in its
handler's transaction (``consumer`` is the durable consumer's name, the one its dead
letters are written under):

- version ``last + 1`` proceeds, and becomes the position;
- an older version was applied already and is skipped, unless it is one we went past
  because it had been dead-lettered (``skipped_versions``): that one is applied once,
  late, when its replay comes;
- a gap proceeds only if every missing version is dead-lettered: those will not come
  through the stream again, and waiting for them would dead-letter every later version
  of the aggregate in turn. Otherwise an earlier event is still on its way (retried or
  overtaken), and the handler asks to be redelivered later. That wait is not counted
  towards this event's own dead letter: the missing version is itself applied or
  dead-lettered in bounded time, and either ends the wait.

The position row is locked (``for update``), so two replicas handling versions of one
aggregate serialize on it; the position only ever grows.
"""

from __future__ import annotations

from prometheus_client import Counter

from ringbook.bus.failures import WaitingForEarlierVersion
from ringbook.events import Envelope
from ringbook.logging import get_logger
from ringbook.store import dead_letters
from ringbook.store.database import Conn

log = get_logger(__name__)

VERSIONS_SKIPPED = Counter(
    "ringbook_versions_skipped_total",
    "Versions an in-order consumer went past because they were dead-lettered",
    ["consumer"],
)
SKIPPED_APPLIED_LATE = Counter(
    "ringbook_skipped_versions_applied_total",
    "Dead-lettered versions applied late, after a replay",
    ["consumer"],
)


# The common case in one round trip: the next version moves the position (v1 creates
# it). Each statement locks the row it changes, as the slow path's ``for update`` does,
# and either changes nothing when the position is not exactly one behind, which leaves
# every other case (a repeat, a gap, a replay, a replica's insert in flight) to the
# slow path, unchanged.
_NEXT = (
    "update aggregate_positions set last_version = $3"
    " where consumer = $1 and aggregate_id = $2 and last_version = $3 - 1 returning true"
)
_FIRST = (
    "insert into aggregate_positions (consumer, aggregate_id, last_version)"
    " values ($1, $2, 1) on conflict do nothing returning true"
)


async def in_order(conn: Conn, consumer: str, event: Envelope) -> bool:
    """True if ``event`` is to be applied now: the next version of its aggregate for this
    consumer, or a version this consumer went past and now receives again (a replay)."""
    fast = _FIRST if event.version == 1 else _NEXT
    args = (consumer, event.aggregate_id) if event.version == 1 else (
        consumer, event.aggregate_id, event.version)
    if await conn.fetchval(fast, *args):
        return True
    last = await conn.fetchval(
        "select last_version from aggregate_positions"
        " where consumer = $1 and aggregate_id = $2 for update",
        consumer,
        event.aggregate_id,
    )
    last = int(last or 0)
    if event.version <= last:
        return await _fills_skipped(conn, consumer, event)
    if event.version > last + 1:
        missing = set(range(last + 1, event.version))
        if await dead_letters.dead_versions(conn, consumer, event, after=last) != missing:
            raise WaitingForEarlierVersion(
                f"{event.aggregate}/{event.aggregate_id}: have v{last}, got v{event.version}",
                delay=0.5,
            )
        await _skip(conn, consumer, event, sorted(missing))
    await conn.execute(
        "insert into aggregate_positions (consumer, aggregate_id, last_version)"
        " values ($1, $2, $3) on conflict (consumer, aggregate_id) do update"
        " set last_version = greatest(aggregate_positions.last_version, excluded.last_version)",
        consumer,
        event.aggregate_id,
        event.version,
    )
    return True


async def _skip(conn: Conn, consumer: str, event: Envelope, versions: list[int]) -> None:
    await conn.execute(
        "insert into skipped_versions (consumer, aggregate_id, version)"
        " select $1, $2, unnest($3::integer[]) on conflict do nothing",
        consumer,
        event.aggregate_id,
        versions,
    )
    # Counted and logged once the transaction commits would be exact; counted here, a
    # rolled-back skip is counted again on its redelivery, which errs on the loud side.
    VERSIONS_SKIPPED.labels(consumer).inc(len(versions))
    log.warning(
        "versions_skipped",
        consumer=consumer,
        aggregate=event.aggregate,
        aggregate_id=str(event.aggregate_id),
        skipped=versions,
        applying=event.version,
    )


async def _fills_skipped(conn: Conn, consumer: str, event: Envelope) -> bool:
    filled = await conn.fetchval(
        "delete from skipped_versions where consumer = $1 and aggregate_id = $2"
        " and version = $3 returning true",
        consumer,
        event.aggregate_id,
        event.version,
    )
    if filled:
        SKIPPED_APPLIED_LATE.labels(consumer).inc()
        log.info(
            "skipped_version_applied_late",
            consumer=consumer,
            aggregate_id=str(event.aggregate_id),
            version=event.version,
        )
    return bool(filled)
