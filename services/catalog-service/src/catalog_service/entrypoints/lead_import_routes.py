"""Seed 003's ``POST /import/leads``: a spreadsheet export of existing customers as
``text/csv`` (or another text type), JSON ``{"csv": "..."}``, or a JSON array
of lead objects. The file's own bytes decide its encoding; a ``charset`` parameter is
not trusted, since Excel exports say nothing or the wrong thing.

The file is read off the event loop (charset detection, phone and e-mail parsing of
thousands of rows is CPU work), then imported in one transaction. Refusals store
nothing: a body over LEAD_IMPORT_MAX_BYTES is 413 before it is read; an unreadable file,
a file without a name column, or more than LEAD_IMPORT_MAX_ROWS rows is 422.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import orjson
from fastapi import APIRouter, Request
from ringbook.web.errors import ApiError, ErrorOut
from ringbook.web.routing import PlatformRoute

from catalog_service.application.lead_import import TooManyRows, import_leads
from catalog_service.domain.lead_files import UnreadableFile, decode, read_table
from catalog_service.domain.lead_rows import ParsedRows, rows_from_objects, rows_from_table
from catalog_service.entrypoints.dependencies import TenantDep
from catalog_service.entrypoints.lead_dependencies import LeadsDep
from catalog_service.entrypoints.schemas_leads import ImportOut

PATH = "/import/leads"
_JSON_TYPES = ("application/json",)
_CSV_EXAMPLE = "Name;E-Mail;Telefon;Status;Kanal;Notizen;Letzter Kontakt\n"
router = APIRouter(tags=["leads"], route_class=PlatformRoute,
                   responses={code: {"model": ErrorOut} for code in (401, 413, 415, 422, 503)})


def _unreadable(problem: str) -> ApiError:
    return ApiError(422, "The import cannot be read", [{"field": "body", "problem": problem}])


def _from_json(raw: bytes, region: str, today: date) -> tuple[ParsedRows, str]:
    try:
        body: Any = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise _unreadable(f"the body is not JSON: {exc}") from None
    if isinstance(body, list):
        return rows_from_objects(body, region=region, today=today), "json"
    if isinstance(body, dict) and set(body) == {"csv"} and isinstance(body["csv"], str):
        return rows_from_table(read_table(body["csv"]), region=region, today=today), "csv"
    raise _unreadable('expected {"csv": "<the file>"} or an array of lead objects')


def parse_body(raw: bytes, media: str, region: str, today: date) -> tuple[ParsedRows, str]:
    """(the rows, "csv" or "json"); raises ApiError for a body that is no import."""
    try:
        if media in _JSON_TYPES or media.endswith("+json"):
            return _from_json(raw, region, today)
        if media.startswith("multipart/"):
            raise ApiError(415, "Unsupported media type", [{
                "field": "content-type",
                "problem": "send the file itself as the body (text/csv), not a form upload"}])
        return rows_from_table(read_table(decode(raw)), region=region, today=today), "csv"
    except UnreadableFile as exc:
        raise _unreadable(str(exc)) from None


@router.post(PATH, openapi_extra={"requestBody": {"content": {
    "text/csv": {"schema": {"type": "string"}, "example": _CSV_EXAMPLE},
    "application/json": {"schema": {"oneOf": [
        {"type": "object", "required": ["csv"], "properties": {"csv": {"type": "string"}}},
        {"type": "array", "items": {"type": "object"}}]}},
}}})
async def import_leads_route(request: Request, leads_: LeadsDep, tenant: TenantDep
                             ) -> ImportOut:
    """Import leads; the answer's counts come from the plain rules at once, and each new
    or changed lead is analysed by the model afterwards."""
    raw = await request.body()
    if not raw.strip():
        raise _unreadable("the body is empty: send the CSV file, or JSON")
    media = request.headers.get("content-type", "text/csv").split(";")[0].strip().lower()
    today = leads_.clock.now().date()
    parsed, fmt = await asyncio.to_thread(parse_body, raw, media, leads_.phone_region, today)
    try:
        summary = await import_leads(leads_.store, leads_.clock, tenant, parsed,
                                     fmt="json" if fmt == "json" else "csv",
                                     rules=leads_.rules, max_rows=leads_.max_rows)
    except TooManyRows as exc:
        raise ApiError(422, "Too many rows", [{"field": "body", "problem": str(exc)}]) from None
    return ImportOut.of(summary)
