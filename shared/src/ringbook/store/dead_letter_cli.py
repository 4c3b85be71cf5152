"""List, show and replay a service's dead letters.

    python -m ringbook.store.dead_letter_cli list [--consumer C] [--status dead] [--json]
    python -m ringbook.store.dead_letter_cli show ID [--json]
    python -m ringbook.store.dead_letter_cli replay ID [ID ...]
    python -m ringbook.store.dead_letter_cli replay --consumer C [--aggregate-id A]

Against the schema of one service: ``DATABASE_URL`` and ``DB_SCHEMA`` (or the service's
``SERVICE_NAME``, whose schema is its name with underscores), as the service itself
reads them; ``--database-url`` / ``--schema`` override. ``replay`` only marks letters:
the service's running worker for that consumer applies them, through its handler and
inbox (``ringbook.bus.replay``), within a few seconds. Exit status 1 when a letter
asked for does not exist or cannot be replayed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from typing import Any

import asyncpg
import orjson

from ringbook.store import dead_letters
from ringbook.store.database import checked_schema

COLUMNS = ("id, consumer, stream, stream_seq, subject, event_id, aggregate, aggregate_id,"
           " version, status, replays, deliveries, reason, failed_at, replay_requested_at,"
           " replayed_at")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ringbook.store.dead_letter_cli",
                                     description="A service's dead letters.")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--schema", default=_schema_from_env())
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="the letters, newest last")
    listing.add_argument("--consumer")
    listing.add_argument("--status", choices=["dead", "replay", "replayed"])
    listing.add_argument("--aggregate-id")
    listing.add_argument("--limit", type=int, default=100)
    listing.add_argument("--json", action="store_true", help="one JSON object a line")
    show = commands.add_parser("show", help="one letter, with its payload")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")
    replay = commands.add_parser("replay", help="mark dead letters for replay")
    replay.add_argument("ids", type=int, nargs="*")
    replay.add_argument("--consumer")
    replay.add_argument("--aggregate-id")
    return parser


def _schema_from_env() -> str | None:
    if os.environ.get("DB_SCHEMA"):
        return os.environ["DB_SCHEMA"]
    service = os.environ.get("SERVICE_NAME")
    return service.replace("-", "_") if service else None


def _jsonable(row: asyncpg.Record) -> dict[str, Any]:
    return {k: (str(v) if v is not None and not isinstance(v, int | str) else v)
            for k, v in row.items()}


def _payload_text(payload: bytes) -> str:
    try:
        return orjson.dumps(orjson.loads(payload), option=orjson.OPT_INDENT_2).decode()
    except orjson.JSONDecodeError:
        return repr(payload)


async def _list(conn: asyncpg.Connection, args: argparse.Namespace) -> int:
    rows = await conn.fetch(
        f"select {COLUMNS} from dead_letters where ($1::text is null or consumer = $1)"
        " and ($2::text is null or status = $2)"
        " and ($3::uuid is null or aggregate_id = $3::uuid) order by id limit $4",
        args.consumer, args.status, args.aggregate_id, args.limit,
    )
    for row in rows:
        if args.json:
            print(orjson.dumps(_jsonable(row)).decode())
        else:
            where = (f"{row['aggregate']}/{row['aggregate_id']} v{row['version']}"
                     if row["aggregate_id"] else f"{row['stream']}#{row['stream_seq']}")
            print(f"{row['id']:>6}  {row['status']:<8}  {row['consumer']}  {where}"
                  f"  {row['failed_at']:%Y-%m-%d %H:%M:%S}  {row['reason'][:120]}")
    return 0


async def _show(conn: asyncpg.Connection, args: argparse.Namespace) -> int:
    row = await conn.fetchrow(f"select {COLUMNS}, payload from dead_letters where id = $1",
                              args.id)
    if row is None:
        print(f"no dead letter {args.id}", file=sys.stderr)
        return 1
    if args.json:
        body = _jsonable(row)
        body["payload"] = _payload_text(bytes(row["payload"]))
        print(orjson.dumps(body).decode())
        return 0
    for key, value in row.items():
        if key != "payload":
            print(f"{key:>20}: {value}")
    print(f"{'payload':>20}:\n{_payload_text(bytes(row['payload']))}")
    return 0


async def _replay(conn: asyncpg.Connection, args: argparse.Namespace) -> int:
    if not (args.ids or args.consumer or args.aggregate_id):
        print("replay what? name letter ids, --consumer or --aggregate-id", file=sys.stderr)
        return 2
    marked = await dead_letters.request_replay(
        conn, ids=args.ids, consumer=args.consumer, aggregate_id=args.aggregate_id
    )
    for letter_id in marked:
        print(f"dead letter {letter_id} marked for replay")
    refused = sorted(set(args.ids) - set(marked))
    for letter_id in refused:
        status = await conn.fetchval("select status from dead_letters where id = $1", letter_id)
        why = "does not exist" if status is None else f"is not dead (status {status})"
        print(f"dead letter {letter_id} {why}: not replayed", file=sys.stderr)
    if not marked and not refused:
        print("no dead letter matches", file=sys.stderr)
    return 1 if refused else 0


async def run(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not args.database_url or not args.schema:
        print("set DATABASE_URL and DB_SCHEMA (or --database-url, --schema)", file=sys.stderr)
        return 2
    conn = await asyncpg.connect(
        args.database_url, server_settings={"search_path": checked_schema(args.schema)}
    )
    try:
        command = {"list": _list, "show": _show, "replay": _replay}[args.command]
        return await command(conn, args)
    finally:
        await conn.close()


def main() -> None:
    sys.exit(asyncio.run(run()))


if __name__ == "__main__":
    main()
