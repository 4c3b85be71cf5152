"""Reading leads: the row as a :class:`LeadRecord`, and the list's filtered, sorted,
paginated query (every value a bind parameter; the sort from a closed list)."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import orjson
from ringbook.contracts.leads import LeadState

from catalog_service.application.lead_ports import LeadFilter, SortOrder
from catalog_service.domain.leads import LeadRecord

_FIELDS = tuple(LeadState.model_fields)
SELECT = (f"select id, tenant_id, version, {', '.join(_FIELDS)}, analysis_state,"
          " analysis_reason, analysis_model, analyzed_at, created_at, updated_at from leads")
_ORDER: dict[SortOrder, str] = {
    "created_at": "created_at, id",
    "-created_at": "created_at desc, id desc",
    "name": "lower(name), id",
    "next_action_at": "next_action_at nulls last, id",
    "last_contact": "last_contact nulls first, id",
}


def record_of(row: asyncpg.Record) -> LeadRecord:
    values = {f: row[f] for f in _FIELDS}
    if isinstance(values["extra"], str):
        values["extra"] = orjson.loads(values["extra"])
    return LeadRecord(
        id=row["id"], tenant_id=row["tenant_id"], version=row["version"],
        state=LeadState.model_validate(values), analysis_state=row["analysis_state"],
        analysis_reason=row["analysis_reason"], analysis_model=row["analysis_model"],
        analyzed_at=row["analyzed_at"], created_at=row["created_at"],
        updated_at=row["updated_at"])


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def page_query(tenant_id: uuid.UUID, where: LeadFilter) -> tuple[str, str, list[Any]]:
    """(the page's query without limit/offset, the count query, their arguments)."""
    args: list[Any] = [tenant_id]
    conditions = ["tenant_id = $1"]

    def bind(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if where.status == "none":
        conditions.append("status is null")
    elif where.status is not None:
        conditions.append(f"status = {bind(where.status)}")
    if where.needs_action is not None:
        conditions.append(f"needs_action = {bind(where.needs_action)}")
    if where.channel is not None:
        conditions.append(f"lower(channel) = lower({bind(where.channel)})")
    if where.import_batch_id is not None:
        conditions.append(f"import_batch_id = {bind(where.import_batch_id)}")
    if where.analysis is not None:
        conditions.append(f"analysis_state = {bind(where.analysis)}")
    if where.search:
        term = bind(_like(where.search))
        conditions.append(f"(name ilike {term} or email ilike {term} or phone ilike {term}"
                          f" or notes ilike {term})")
    clause = " and ".join(conditions)
    return (f"{SELECT} where {clause} order by {_ORDER[where.sort]}",
            f"select count(*) from leads where {clause}", args)
