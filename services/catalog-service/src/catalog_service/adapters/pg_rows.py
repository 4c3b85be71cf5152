"""Snapshots as rows: an aggregate's state model maps to its table's columns by name.

Each read-model table has one column per field of its ``*State`` contract model (jsonb
for the dict fields), plus ``id``, ``tenant_id``, ``version`` and two timestamps, so a
snapshot event is written and read back without a hand-written list per table.
"""

from __future__ import annotations

import typing
import uuid
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, TypeVar

import asyncpg
import orjson
from ringbook.events import Envelope, EventData
from ringbook.store.database import Conn

from catalog_service.domain.records import Lock, Record

S = TypeVar("S", bound=EventData)

LOCKS: dict[Lock, str] = {"none": "", "share": " for key share", "update": " for update"}


class ProjectionOutOfStep(RuntimeError):
    """An event's version does not follow its row's: a bug, never client input."""


def _is_json(annotation: Any) -> bool:
    # Dicts, and tuples/lists of models (an assistant's analysis_fields): stored whole,
    # as they are read whole; no query looks inside them.
    return typing.get_origin(annotation) in (dict, tuple, list) or annotation is dict


@dataclass(frozen=True)
class SnapshotTable(Generic[S]):
    table: str
    model: type[S]
    created_column: str = "created_at"

    @cached_property
    def fields(self) -> list[str]:
        return list(self.model.model_fields)

    @cached_property
    def json_fields(self) -> frozenset[str]:
        return frozenset(name for name, info in self.model.model_fields.items()
                         if _is_json(info.annotation))

    @cached_property
    def select_list(self) -> str:
        return ", ".join(["id", "tenant_id", "version", f"{self.created_column}", "updated_at",
                          *self.fields])

    def _values(self, state: S) -> list[Any]:
        dumped = state.model_dump(mode="python")
        return [orjson.dumps(dumped[f]).decode() if f in self.json_fields else dumped[f]
                for f in self.fields]

    def _placeholder(self, field: str, index: int) -> str:
        return f"${index}::jsonb" if field in self.json_fields else f"${index}"

    async def insert(self, conn: Conn, event: Envelope, state: S) -> None:
        columns = ["id", "tenant_id", "version", self.created_column, "updated_at", *self.fields]
        marks = ["$1", "$2", "$3", "$4", "$4"] + [
            self._placeholder(f, i) for i, f in enumerate(self.fields, start=5)]
        await conn.execute(
            f"insert into {self.table} ({', '.join(columns)}) values ({', '.join(marks)})",
            event.aggregate_id, event.tenant_id, event.version, event.occurred_at,
            *self._values(state),
        )

    async def update(self, conn: Conn, event: Envelope, state: S) -> None:
        sets = [f"{f} = {self._placeholder(f, i)}" for i, f in enumerate(self.fields, start=4)]
        status = await conn.execute(
            f"update {self.table} set version = $2, updated_at = $3, {', '.join(sets)}"
            " where id = $1 and version = $2 - 1",
            event.aggregate_id, event.version, event.occurred_at, *self._values(state),
        )
        _one_row(status, self.table, event)

    async def bump(self, conn: Conn, event: Envelope) -> None:
        """Record an event that changes no column of the row (a link)."""
        status = await conn.execute(
            f"update {self.table} set version = $2, updated_at = $3"
            " where id = $1 and version = $2 - 1",
            event.aggregate_id, event.version, event.occurred_at,
        )
        _one_row(status, self.table, event)

    async def get(self, conn: Conn, tenant_id: uuid.UUID, aggregate_id: uuid.UUID,
                  lock: Lock = "none") -> Record[S] | None:
        row = await conn.fetchrow(
            f"select {self.select_list} from {self.table}"
            f" where id = $1 and tenant_id = $2{LOCKS[lock]}",
            aggregate_id, tenant_id,
        )
        return None if row is None else self.record(row)

    async def select(self, conn: Conn, where: str, *args: Any, lock: Lock = "none"
                     ) -> list[Record[S]]:
        rows = await conn.fetch(
            f"select {self.select_list} from {self.table} where {where}{LOCKS[lock]}", *args)
        return [self.record(r) for r in rows]

    def record(self, row: asyncpg.Record) -> Record[S]:
        values = {f: orjson.loads(row[f]) if f in self.json_fields else row[f]
                  for f in self.fields}
        return Record(
            id=row["id"], tenant_id=row["tenant_id"], version=row["version"],
            created_at=row[self.created_column], updated_at=row["updated_at"],
            state=self.model.model_validate(values),
        )


def _one_row(status: str, table: str, event: Envelope) -> None:
    if status != "UPDATE 1":
        raise ProjectionOutOfStep(
            f"{table} {event.aggregate_id}: version {event.version} does not follow the row's")
