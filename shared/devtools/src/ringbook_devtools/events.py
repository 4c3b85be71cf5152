"""``python -m ringbook_devtools.events``: print what a stream holds, one JSON event per
line, oldest first. Read-only (an ephemeral consumer that acks nothing), so it can be
pointed at a running system without disturbing any service.

    python -m ringbook_devtools.events CALLS --type call_completed --last 1
    python -m ringbook_devtools.events REQUESTS --aggregate request

``NATS_URL`` (default ``nats://127.0.0.1:4222``, where ``make run`` puts it) names the server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

import nats
from ringbook.bus.reading import subject_events
from ringbook.contracts.streams import ALL_STREAMS

DEFAULT_NATS_URL = "nats://127.0.0.1:4222"
CONNECT_SECONDS = 3.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    streams = {spec.name: spec for spec in ALL_STREAMS}
    parser = argparse.ArgumentParser(prog="python -m ringbook_devtools.events",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stream", choices=sorted(streams))
    parser.add_argument("--type", default="*", help="event type, e.g. call_completed")
    parser.add_argument("--aggregate", default="*", help="aggregate, e.g. inbound_call")
    parser.add_argument("--last", type=int, default=0, help="only the last N events")
    args = parser.parse_args(argv)
    if args.last < 0:
        parser.error("--last must not be negative")
    args.spec = streams[args.stream]
    return args


async def print_events(args: argparse.Namespace, url: str) -> int:
    try:
        async with asyncio.timeout(CONNECT_SECONDS):
            nc = await nats.connect(url, connect_timeout=CONNECT_SECONDS,
                                    allow_reconnect=False)
    except Exception as exc:  # no server there: say so, don't trace back
        print(f"cannot reach NATS at {url}: {exc!r}", file=sys.stderr)
        return 2
    try:
        subject = args.spec.subject_filter(aggregate=args.aggregate, event_type=args.type)
        events = await subject_events(nc.jetstream(), subject, stream=args.spec.name)
    finally:
        await nc.close()
    for event in events[-args.last:] if args.last else events:
        sys.stdout.write(event.to_json().decode() + "\n")  # the wire format, as published
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return asyncio.run(print_events(args, os.environ.get("NATS_URL", DEFAULT_NATS_URL)))


if __name__ == "__main__":
    raise SystemExit(main())
