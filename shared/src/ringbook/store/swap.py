"""Swapping a rebuild's shadow tables in, all in the caller's ONE transaction.

The caller holds the consumers' rebuild locks (``ringbook.store.rebuild_lock``), so no
live worker is between reading and writing a projection. In that transaction:

1. the live bookkeeping of the rebuilt consumers becomes the shadow's: their inbox
   claims, aggregate positions and skipped versions are replaced by the ones that
   describe the new tables. A live worker holding an event the rebuild has applied
   already then finds it claimed (a duplicate, acked), and one the rebuild never saw
   is applied to the new tables at its next version: nothing is lost, nothing doubled.
   The rebuild's dead letters are added to the live ones (a letter is history);
2. the views over the tables are dropped, the old tables moved out and the new ones
   moved in (``set schema``: indexes, constraints, sequences and triggers go with
   them), and the views created again from their own definitions, with their grants;
   a view is bound to its table by oid, so without this it would go on reading the old
   table, or be dropped with it;
3. the old tables are dropped (refused, and all rolled back, if anything else depends
   on them).

Readers wait on the tables' locks for the few milliseconds this takes and then see
either all old or all new tables, never a mix. A statement that waited re-resolves its
table names once the swap commits (Postgres rechecks a name after waiting for its
lock), and a prepared statement (asyncpg's statement cache) is re-planned by Postgres
on its next execution, because the relations it was planned against changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ringbook.store.database import Conn
from ringbook.store.shadow import RebuildError

_DEPENDENT_VIEWS = """
with recursive deps(oid, depth) as (
    select distinct r.ev_class, 1 from pg_depend d join pg_rewrite r on r.oid = d.objid
     where d.classid = 'pg_rewrite'::regclass and d.refobjid = any($1::text[]::regclass[])
       and r.ev_class <> d.refobjid
    union
    select distinct r.ev_class, deps.depth + 1 from deps
      join pg_depend d on d.refobjid = deps.oid
      join pg_rewrite r on r.oid = d.objid
     where d.classid = 'pg_rewrite'::regclass and r.ev_class <> deps.oid and deps.depth < 32
)
select c.oid, n.nspname, c.relname, c.relkind::text as relkind, c.reloptions,
       max(deps.depth) as depth, pg_get_viewdef(c.oid) as def
  from deps join pg_class c on c.oid = deps.oid join pg_namespace n on n.oid = c.relnamespace
 group by c.oid, n.nspname, c.relname, c.relkind, c.reloptions
 order by depth, c.relname
"""

_GRANTS = """
select case when a.grantee = 0 then 'public' else quote_ident(r.rolname) end as grantee,
       a.privilege_type, a.is_grantable
  from pg_class c cross join lateral aclexplode(c.relacl) a
  left join pg_roles r on r.oid = a.grantee
 where c.oid = $1::text::regclass and a.grantee <> c.relowner
"""


# Every column of a dead letter but its id (each schema numbers its own letters).
LETTER_COLUMNS = ("consumer, stream, stream_seq, subject, payload, reason, failed_at, event_id,"
                  " aggregate, aggregate_id, version, deliveries, status, replays,"
                  " replay_requested_at, replayed_at")


@dataclass(frozen=True)
class _View:
    name: str  # schema-qualified
    definition: str
    options: list[str]
    grants: list[str]


async def swap(
    conn: Conn, *, live: str, shadow: str, retired: str, tables: Sequence[str],
    consumers: Sequence[str],
) -> None:
    """Must run inside the transaction that holds the consumers' rebuild locks."""
    # Every definition printed from here on names its schema: a view is recreated
    # exactly as it was, and reads the new table under the same qualified name.
    await conn.execute("set local search_path to pg_catalog")
    qualified = [f"{live}.{t}" for t in tables]
    views = await _views(conn, qualified)
    table_grants = {t: await _grants(conn, f"{live}.{t}") for t in tables}
    await _adopt_bookkeeping(conn, live, shadow, list(consumers))
    for view in reversed(views):
        await conn.execute(f"drop view {view.name}")
    await conn.execute(f"drop schema if exists {retired} cascade")
    await conn.execute(f"create schema {retired}")
    for table in tables:
        await conn.execute(f"alter table {live}.{table} set schema {retired}")
        await conn.execute(f"alter table {shadow}.{table} set schema {live}")
    for view in views:
        options = f" with ({', '.join(view.options)})" if view.options else ""
        await conn.execute(f"create view {view.name}{options} as {view.definition}")
        for grant in view.grants:
            await conn.execute(grant.format(name=view.name))
    for table, grants in table_grants.items():
        for grant in grants:
            await conn.execute(grant.format(name=f"{live}.{table}"))
    # Not cascade: anything else still bound to an old table (a function returning its
    # rows, a foreign key from a table not rebuilt) fails the swap, which rolls back,
    # rather than being dropped along with it. One statement for all: their foreign
    # keys to each other do not order the drops.
    await conn.execute(f"drop table {', '.join(f'{retired}.{t}' for t in tables)}")
    await conn.execute(f"drop schema {retired}")
    await conn.execute(f"drop schema {shadow} cascade")  # only its bookkeeping is left


async def _views(conn: Conn, tables: list[str]) -> list[_View]:
    views: list[_View] = []
    for row in await conn.fetch(_DEPENDENT_VIEWS, tables):
        name = f'{row["nspname"]}."{row["relname"]}"'
        if row["relkind"] != "v":
            # A materialized view holds its own copy of the rows: refreshing it belongs
            # to its owner, and dropping it here would lose what it stores.
            raise RebuildError(f"{name} (kind {row['relkind']}) depends on a projection table")
        views.append(_View(name=name, definition=row["def"].rstrip().rstrip(";"),
                           options=list(row["reloptions"] or []),
                           grants=await _grants(conn, name)))
    return views


async def _grants(conn: Conn, relation: str) -> list[str]:
    """GRANT statements (``{name}`` to fill in) recreating a relation's privileges."""
    return [
        f"grant {r['privilege_type']} on {{name}} to {r['grantee']}"
        + (" with grant option" if r["is_grantable"] else "")
        for r in await conn.fetch(_GRANTS, relation)
    ]


async def _adopt_bookkeeping(conn: Conn, live: str, shadow: str, consumers: list[str]) -> None:
    for table, columns in (("inbox", "consumer, event_id, handled_at"),
                           ("aggregate_positions", "consumer, aggregate_id, last_version"),
                           ("skipped_versions", "consumer, aggregate_id, version, skipped_at")):
        await conn.execute(f"delete from {live}.{table} where consumer = any($1::text[])",
                           consumers)
        await conn.execute(f"insert into {live}.{table} ({columns})"
                           f" select {columns} from {shadow}.{table}"
                           " where consumer = any($1::text[])", consumers)
    letters = LETTER_COLUMNS
    await conn.execute(f"insert into {live}.dead_letters ({letters})"
                       f" select {letters} from {shadow}.dead_letters"
                       " where consumer = any($1::text[])"
                       " on conflict (consumer, stream, stream_seq) do nothing", consumers)
