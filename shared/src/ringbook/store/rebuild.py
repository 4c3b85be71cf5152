"""Rebuilding every projection of a service by replay (G10), while it keeps running.

A service declares its projections (``Projection``): the tables each owns and the
consumers (spec and handler, the very pairs its runtime runs) that fill them.
``rebuild`` then, for all of them together:

1. creates the shadow schema: empty copies of the tables, and bookkeeping of its own
   (``ringbook.store.shadow``);
2. replays each consumer's stream from sequence 1 into it, with an ordered consumer of
   its own (``ringbook.store.replay_reader``), round after round, while the live
   workers go on applying new events to the live tables: each round reads to the tail
   the stream had when it began, until a round finds little left to do;
3. the final phase, in ONE transaction: takes every rebuilt consumer's rebuild lock
   exclusively (``ringbook.store.rebuild_lock``), so the live workers finish what they
   are applying and then wait; reads each stream's tail; replays the last events up to
   it; and swaps the tables in (``ringbook.store.swap``). Every event a live worker
   committed is in the stream before that tail, so the new tables hold it; every event
   after it reaches the live workers, which resume on the new tables with the shadow's
   inbox and positions: none lost, none applied twice.

The readers keep answering throughout; the live workers pause only for the final phase
(the events since the last round, and the swap). Two rebuilds of one schema never run
at once (a session lock), and one that fails leaves the live tables as they were.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import asyncpg
from nats.js import JetStreamContext

from ringbook.bus.worker import ConsumerSpec, Handler
from ringbook.logging import get_logger
from ringbook.store import rebuild_lock
from ringbook.store.database import checked_schema
from ringbook.store.replay_reader import ConsumerReplay
from ringbook.store.shadow import RebuildError, create_shadow, shadow_names
from ringbook.store.swap import swap

__all__ = ["Projection", "RebuildError", "RebuildHooks", "RebuildReport", "rebuild"]

log = get_logger(__name__)
Hook = Callable[[], Awaitable[None]]

# A round that applies fewer events than this is the last before the final phase,
# which the live workers wait through: it then replays only what came meanwhile.
QUIET_ROUND = 500
MAX_ROUNDS = 20


@dataclass(frozen=True)
class Projection:
    """Tables a projection owns, and the consumers that fill them. Every consumer that
    writes one of the tables must be here, and the tables must be written by no one
    else: the rebuild holds exactly these consumers while it swaps."""

    name: str
    tables: tuple[str, ...]
    consumers: tuple[tuple[ConsumerSpec, Handler], ...]


@dataclass(frozen=True)
class RebuildHooks:
    """Called at the phase boundaries (tests use them to publish at exact moments)."""

    caught_up: Hook | None = None  # the rounds are done, the live workers not held yet
    held: Hook | None = None  # the live workers are held and the tails were read
    swapped: Hook | None = None  # the swap is done, not committed: readers wait on it


@dataclass
class RebuildReport:
    applied: dict[str, int] = field(default_factory=dict)
    dead_lettered: dict[str, int] = field(default_factory=dict)
    # Still waiting at the swap (what they wait for is not in the stream yet): the live
    # worker applies them, as it had not acked them either.
    left_to_live: dict[str, int] = field(default_factory=dict)
    rounds: int = 0
    seconds: float = 0.0
    held_seconds: float = 0.0

    @property
    def events_per_second(self) -> float:
        return sum(self.applied.values()) / self.seconds if self.seconds else 0.0


async def rebuild(
    *, dsn: str, schema: str, js: JetStreamContext, projections: Sequence[Projection],
    hooks: RebuildHooks | None = None, chunk: int = 250,
) -> RebuildReport:
    live = checked_schema(schema)
    shadow, retired = shadow_names(live)
    tables = [t for p in projections for t in p.tables]
    pairs = [pair for p in projections for pair in p.consumers]
    if len({spec.durable for spec, _ in pairs}) != len(pairs) or len(set(tables)) != len(tables):
        raise RebuildError("a consumer or a table is declared twice")
    hooks = hooks or RebuildHooks()
    started = time.monotonic()
    control = await asyncpg.connect(dsn, server_settings={"search_path": live})
    try:
        if not await control.fetchval("select pg_try_advisory_lock(hashtext($1), hashtext($2))",
                                      "ringbook-rebuild-run", live):
            raise RebuildError(f"a rebuild of {live} is already running")
        await create_shadow(control, live, shadow, tables)
        # The handlers' unqualified SQL finds the shadow's tables first (see shadow).
        target = await asyncpg.connect(dsn, server_settings={"search_path": f"{shadow}, {live}"})
        replays = [ConsumerReplay(js=js, spec=spec, handler=handler, conn=target, chunk=chunk)
                   for spec, handler in pairs]
        try:
            for replay in replays:
                await replay.open()
            report = RebuildReport()
            report.rounds = await _rounds(replays)
            if hooks.caught_up:
                await hooks.caught_up()
            async with control.transaction():
                held = time.monotonic()
                await rebuild_lock.hold_exclusive(control, live, [r.durable for r in replays])
                tails = [await r.tail() for r in replays]
                if hooks.held:
                    await hooks.held()
                for replay, tail in zip(replays, tails, strict=True):
                    await replay.drain(tail)
                await _settle(replays)
                if any([await r.adopt_live_letters(live) for r in replays]):
                    await _settle(replays)
                await swap(control, live=live, shadow=shadow, retired=retired, tables=tables,
                           consumers=[r.durable for r in replays])
                if hooks.swapped:
                    await hooks.swapped()
            report.held_seconds = time.monotonic() - held
        finally:
            for replay in replays:
                await replay.close()
            await target.close()
        for r in replays:
            report.applied[r.durable] = r.applied
            report.dead_lettered[r.durable] = r.dead
            report.left_to_live[r.durable] = len(r.pending)
        report.seconds = time.monotonic() - started
        log.info("projections_rebuilt", schema=live, tables=tables, applied=report.applied,
                 dead_lettered=report.dead_lettered, left_to_live=report.left_to_live,
                 rounds=report.rounds, seconds=round(report.seconds, 3),
                 held_seconds=round(report.held_seconds, 3))
        return report
    finally:
        await control.close()  # ends the session lock too


async def _rounds(replays: list[ConsumerReplay]) -> int:
    """Replay to the tails, again and again, while the live side keeps adding to them.
    Consumers go in their declared order each round, so a consumer waiting for another
    one's stream (analytics' calls for their requests) mostly finds it applied already."""
    for round_no in range(1, MAX_ROUNDS + 1):
        applied = 0
        for replay in replays:
            applied += await replay.drain(await replay.tail())
        applied += await _settle(replays)
        if applied < QUIET_ROUND:
            return round_no
    return MAX_ROUNDS


async def _settle(replays: list[ConsumerReplay]) -> int:
    """Retry what was set aside until nothing more can be applied; returns how many
    events were applied meanwhile."""
    before = sum(r.applied for r in replays)
    progress = True
    while progress:
        progress = False
        for replay in replays:
            progress = await replay.retry_pending() or progress
    return sum(r.applied for r in replays) - before
