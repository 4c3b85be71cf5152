"""The shadow schema a rebuild fills: fresh, empty copies of a service's projection
tables, with the same names for every table, index, constraint, sequence and trigger,
beside bookkeeping tables of its own.

Same names, so that the swap (``ringbook.store.swap``) can move each table into the
live schema with ``alter table … set schema``, which carries its indexes, constraints,
owned sequences and triggers along, and leaves the schema looking exactly as the
migrations made it (a later migration naming an index still finds it).

The bookkeeping tables (``inbox``, ``aggregate_positions``, ``skipped_versions``,
``dead_letters``, ``delivery_failures``) are the rebuild's own: the live consumers keep
claiming and ordering events in theirs meanwhile, under the same consumer names, and
the replay must start from nothing, or it would skip every event the live side applied.
``events`` and ``outbox`` are blank copies too: a projection's handlers write only its
tables, and if one ever appended an event, the replay would otherwise publish a second
copy of something published long ago; here it is discarded with the shadow.

The rebuild's connection has ``search_path = shadow, live``: the handlers' unqualified
SQL (the very SQL the live workers run) finds the shadow's tables first, and any other
table of the service (one the rebuild does not own) in the live schema.
"""

from __future__ import annotations

from collections.abc import Sequence

from ringbook.store.database import Conn, checked_schema

BOOKKEEPING = ("inbox", "aggregate_positions", "skipped_versions", "dead_letters",
               "delivery_failures", "events", "outbox")


class RebuildError(RuntimeError):
    """The rebuild cannot run as declared (nothing was swapped)."""


def shadow_names(schema: str) -> tuple[str, str]:
    """The shadow schema and the one the old tables pass through during the swap."""
    return checked_schema(f"{schema}__rebuild"), checked_schema(f"{schema}__retired")


async def create_shadow(conn: Conn, live: str, shadow: str, tables: Sequence[str]) -> None:
    """(Re)create ``shadow`` with empty copies of ``tables`` and of the bookkeeping.

    Runs under ``search_path = pg_catalog``, so every definition Postgres prints back
    (indexes, foreign keys, triggers) names its tables with their schema, and the live
    schema can be replaced by the shadow's exactly where it refers to a copied table."""
    for table in tables:
        checked_schema(table)  # table names are interpolated into DDL as well
    async with conn.transaction():
        await conn.execute("set local search_path to pg_catalog")
        missing = [t for t in tables if not await conn.fetchval(
            "select to_regclass($1) is not null", f"{live}.{t}")]
        if missing:
            raise RebuildError(f"{live} has no table {', '.join(missing)}")
        # A leftover of a rebuild that crashed (only one runs at a time: see rebuild).
        await conn.execute(f"drop schema if exists {shadow} cascade")
        await conn.execute(f"create schema {shadow}")
        for table in BOOKKEEPING:
            await conn.execute(
                f"create table {shadow}.{table} (like {live}.{table} including all)")
        for table in tables:
            await _clone(conn, live, shadow, table)
        for table in tables:
            await _clone_foreign_keys(conn, live, shadow, table, tables)


async def _clone(conn: Conn, live: str, shadow: str, table: str) -> None:
    source, target = f"{live}.{table}", f"{shadow}.{table}"
    # Columns, defaults, checks (with their names), identity, generated columns; not the
    # indexes, which LIKE would name anew.
    await conn.execute(
        f"create table {target} (like {source} including defaults including constraints"
        " including identity including generated including storage including comments)"
    )
    # A serial column's default still draws from the live table's sequence: give the
    # copy a sequence of its own (same name, owned by the copy, so it moves with it).
    for row in await conn.fetch(
        "select a.attname, s.relname from pg_attribute a"
        " join pg_depend d on d.refobjid = a.attrelid and d.refobjsubid = a.attnum"
        "  and d.classid = 'pg_class'::regclass and d.deptype = 'a'"
        " join pg_class s on s.oid = d.objid and s.relkind = 'S'"
        " where a.attrelid = $1::text::regclass and a.attidentity = ''",
        source,
    ):
        sequence, column = f"{shadow}.{row['relname']}", row["attname"]
        await conn.execute(f'create sequence {sequence} owned by {target}."{column}"')
        await conn.execute(
            f"alter table {target} alter column \"{column}\" set default nextval('{sequence}')")
    for row in await conn.fetch(
        "select conname, pg_get_constraintdef(oid) as def from pg_constraint"
        " where conrelid = $1::text::regclass and contype in ('p', 'u', 'x') order by conname",
        source,
    ):
        await conn.execute(f'alter table {target} add constraint "{row["conname"]}" {row["def"]}')
    for row in await conn.fetch(
        "select pg_get_indexdef(i.indexrelid) as def from pg_index i"
        " where i.indrelid = $1::text::regclass and not exists"
        "  (select 1 from pg_constraint c where c.conindid = i.indexrelid)"
        " order by i.indexrelid",
        source,
    ):
        await conn.execute(_retarget(row["def"], f" ON {source} ", f" ON {target} "))
    for row in await conn.fetch(
        "select pg_get_triggerdef(oid) as def from pg_trigger"
        " where tgrelid = $1::text::regclass and not tgisinternal order by tgname",
        source,
    ):
        await conn.execute(_retarget(row["def"], f" ON {source} ", f" ON {target} "))


async def _clone_foreign_keys(
    conn: Conn, live: str, shadow: str, table: str, tables: Sequence[str]
) -> None:
    """Foreign keys last, once every copy exists: one between two projection tables
    points at the copy; one to another table of the service keeps pointing at it."""
    for row in await conn.fetch(
        "select conname, pg_get_constraintdef(oid) as def from pg_constraint"
        " where conrelid = $1::text::regclass and contype = 'f' order by conname",
        f"{live}.{table}",
    ):
        definition: str = row["def"]
        for other in tables:
            definition = definition.replace(f"REFERENCES {live}.{other}(",
                                            f"REFERENCES {shadow}.{other}(")
        await conn.execute(
            f'alter table {shadow}.{table} add constraint "{row["conname"]}" {definition}')


def _retarget(definition: str, old: str, new: str) -> str:
    if old not in definition:
        raise RebuildError(f"cannot copy {definition!r}: it does not name {old.strip()}")
    return definition.replace(old, new, 1)
