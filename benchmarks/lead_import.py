"""``make bench-leads`` / ``python -m benchmarks.lead_import``: seed 003's import of a
German Excel export (cp1252, ';', umlauts, blank and broken rows, repeated people),
through the gateway, with the whole system running (``LocalSystem``, Postgres with
fsync on, the SIMULATED LLM analysing what is imported).

Each run signs up a new user (a tenant of its own) and posts the same ``--rows`` file:

* ``import``: the answer's wall time, and rows per second; the answer's figures must
  equal what the file's generator knows it holds, or the run counts as an error;
* ``re-import``: the same file again (every lead found, nothing changed);
* ``analysed``: from the first answer until the model's verdict is stored on every lead
  (``GET /api/leads?analysis=pending`` answers total 0), as leads per second.

Times are also shown as multiples of two floors', measured in the same run on the same
machine:

* ``parse floor``: reading the file in this process (decode, table, rows: the CPU work
  of the import with no HTTP, no events, no Postgres);
* ``insert floor``: the distinct leads inserted by one ``executemany`` into a scratch
  table of the system's own Postgres, in one transaction (storing them, nothing else).

Progress goes to stderr, the table to stdout, the figures to
.ringbook/bench/lead_import.json. Figures are printed, never asserted on.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from datetime import UTC, date, datetime
from statistics import median
from time import perf_counter
from typing import Any

import asyncpg
import httpx
from catalog_service.domain.lead_files import decode, read_table
from catalog_service.domain.lead_rows import rows_from_table
from catalog_service.testing.lead_files import ExpectedCounts, german_excel_export
from ringbook_devtools.system import LocalSystem

from benchmarks.catalog_api import write_json
from benchmarks.harness import REPO
from benchmarks.report import ratio
from benchmarks.session import system_session

OUTPUT = REPO / ".ringbook" / "bench" / "lead_import.json"
CSV = {"Content-Type": "text/csv; charset=windows-1252"}


def parse_floor(body: bytes, today: date) -> tuple[float, list[tuple[Any, ...]]]:
    began = perf_counter()
    parsed = rows_from_table(read_table(decode(body)), region="DE", today=today)
    seconds = perf_counter() - began
    people = {lead.email or lead.phone: lead for _, lead in parsed.leads}
    return seconds, [(uuid.uuid4(), lead.name, lead.email, lead.phone, lead.status,
                      lead.notes, lead.last_contact) for lead in people.values()]


async def insert_floor(dsn: str, rows: list[tuple[Any, ...]]) -> float:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("create table if not exists bench_lead_floor (id uuid primary key,"
                           " name text, email text, phone text, status text, notes text,"
                           " last_contact date)")
        await conn.execute("truncate bench_lead_floor")
        began = perf_counter()
        async with conn.transaction():
            await conn.executemany("insert into bench_lead_floor values ($1, $2, $3, $4, $5,"
                                   " $6, $7)", rows)
        return perf_counter() - began
    finally:
        await conn.close()


def same_rows(answer: dict[str, Any], expected: ExpectedCounts) -> bool:
    return (answer.get("total_rows") == expected.total_rows
            and answer.get("imported_count") == expected.leads
            and sorted({e["row"] for e in answer.get("errors", [])}) == list(expected.error_rows))


def matches(answer: dict[str, Any], expected: ExpectedCounts) -> bool:
    return (same_rows(answer, expected)
            and answer.get("needs_action_count") == expected.needs_action
            and answer.get("without_last_contact_count") == expected.leads_without_last_contact)


async def one_run(client: httpx.AsyncClient, body: bytes, expected: ExpectedCounts,
                  analysis_timeout: float) -> dict[str, Any]:
    signed = await client.post("/api/auth/register", json={
        "email": f"bench-{uuid.uuid4().hex[:12]}@example.com", "password": "password123",
        "name": "Bench"})
    signed.raise_for_status()
    auth = {"Authorization": f"Bearer {signed.json()['token']}", **CSV}
    began = perf_counter()
    first = await client.post("/import/leads", content=body, headers=auth)
    imported = perf_counter() - began
    began_again = perf_counter()
    again = await client.post("/import/leads", content=body, headers=auth)
    reimported = perf_counter() - began_again
    errors = [f"import answered {r.status_code}" for r in (first, again) if r.status_code != 200]
    # The re-import's action counts are of the leads as they are by then (the model may
    # have set a status meanwhile), so only its rows are held to the file's.
    if not errors and not (matches(first.json(), expected)
                           and same_rows(again.json(), expected)):
        errors.append("the answer's figures differ from the file's")
    analysed: float | None = None
    while perf_counter() - began < analysis_timeout:
        page = await client.get("/api/leads", headers=auth,
                                params={"analysis": "pending", "limit": 1})
        if page.status_code == 200 and page.json()["total"] == 0:
            analysed = perf_counter() - began
            break
        await asyncio.sleep(0.5)
    if analysed is None:
        errors.append(f"not every lead analysed within {analysis_timeout:.0f} s")
    return {"import_s": imported, "reimport_s": reimported, "analysed_s": analysed,
            "errors": errors}


async def measure(system: LocalSystem, *, rows: int, runs: int,
                  analysis_timeout: float) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    body, expected = german_excel_export(rows, seed=11, today=today)
    parse_seconds = min(parse_floor(body, today)[0] for _ in range(3))
    insert_rows = parse_floor(body, today)[1]
    insert_seconds = min([await insert_floor(system.database_url, insert_rows)
                          for _ in range(3)])
    results = []
    async with httpx.AsyncClient(base_url=system.gateway, timeout=60) as client:
        for i in range(runs):
            print(f"» run {i + 1} of {runs}", file=sys.stderr, flush=True)
            results.append(await one_run(client, body, expected, analysis_timeout))
    return {"rows": rows, "bytes": len(body), "distinct_leads": expected.distinct_keys,
            "parse_s": parse_seconds, "insert_s": insert_seconds, "runs": results}


def render(figures: dict[str, Any]) -> str:
    """Rates per second, and each time as a multiple of the two floors' times."""
    rows, leads = figures["rows"], figures["distinct_leads"]
    parse_s, insert_s = figures["parse_s"], figures["insert_s"]
    lines = [f"{rows:,} rows ({figures['bytes'] / 1024:.0f} KiB, {leads:,} distinct leads)",
             f"{'':<30} {'seconds':>8} {'per s':>9} {'x parse':>8} {'x insert':>9}",
             f"{'parse floor (in process)':<30} {parse_s:>8.3f} {rows / parse_s:>9,.0f}"
             f" {'1.0':>8} {'':>9}",
             f"{'insert floor (executemany)':<30} {insert_s:>8.3f} {leads / insert_s:>9,.0f}"
             f" {'':>8} {'1.0':>9}"]
    for label, key, count in (("import (rows)", "import_s", rows),
                              ("re-import (rows)", "reimport_s", rows),
                              ("analysed (leads)", "analysed_s", leads)):
        values = [r[key] for r in figures["runs"] if r[key] is not None]
        for i, value in enumerate(values):
            lines.append(f"{label + f' #{i + 1}':<30} {value:>8.3f} {count / value:>9,.0f}"
                         f" {ratio(value, parse_s) or 0:>8.1f} {ratio(value, insert_s) or 0:>9.1f}")
        if values:
            lines.append(f"{label + ' median':<30} {median(values):>8.3f}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.lead_import",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5000, help="rows of the file (5000)")
    parser.add_argument("--runs", type=int, default=3, help="imports, each a new tenant (3)")
    parser.add_argument("--analysis-timeout", type=float, default=300,
                        help="seconds to wait for every lead's analysis (300)")
    args = parser.parse_args(argv)
    if not (10 <= args.rows <= 20_000) or not (1 <= args.runs <= 10):
        parser.error("--rows 10..20000 (the import's row limit), --runs 1..10")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with system_session("leads") as run:
        figures = asyncio.run(measure(run.system, rows=args.rows, runs=args.runs,
                                      analysis_timeout=args.analysis_timeout))
        print(render(figures), flush=True)
        errors = [e for r in figures["runs"] for e in r["errors"]]
        for error in sorted(set(errors)):
            print(f"  error: {error}", flush=True)
        write_json(OUTPUT, {"rows": args.rows, "runs": args.runs,
                            "postgres": "embedded, fsync on"}, [figures])
        print(f"figures written to {OUTPUT.relative_to(REPO)}", flush=True)
        run.keep_logs = bool(errors)
        return 1 if run.keep_logs else 0


if __name__ == "__main__":
    raise SystemExit(main())
