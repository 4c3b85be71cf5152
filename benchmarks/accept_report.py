"""The table ``make bench-accept`` prints: every figure beside the floor of its run."""

from __future__ import annotations

from typing import Any

from benchmarks.report import ratio

# The issue's targets, as ratios to the floor measured in the same run.
TARGETS = {"gateway_alone": 0.7, "whole_system": 0.4, "sustained": 0.25}


def _fmt(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def best_rate(figures: dict[str, Any]) -> dict[str, Any] | None:
    passed = [step for step in figures.get("rates", []) if step["passed"]]
    return max(passed, key=lambda step: step["rate"]) if passed else None


def render(figures: dict[str, Any]) -> str:
    floor = figures["floor"]["per_s"]
    lines = [f"{'accept path (wrk, 32 connections)':<44}{'req/s':>9}{'p50 ms':>9}"
             f"{'p99 ms':>9}{'x floor':>9}{'target':>8}{'failed':>8}"]
    for key, label in (("floor", "floor: bare FastAPI + one insert"),
                       ("gateway_alone", "gateway alone (others SIGSTOPped)"),
                       ("whole_system", "whole system")):
        phase = figures.get(key)
        if phase is None:
            continue
        target = TARGETS.get(key)
        lines.append(f"{label:<44}{phase['per_s']:>9.0f}{phase['p50_ms']:>9.1f}"
                     f"{phase['p99_ms']:>9.1f}{_x(ratio(phase['per_s'], floor)):>9}"
                     f"{_x(target) if target else '':>8}{phase['failed']:>8}")
    best = best_rate(figures)
    # "late": accepted, but not yet scheduled 10 s after the phase ended (the drain that
    # follows sees each one scheduled, so none is lost); "refused": not answered 202, be it
    # a status or the generator giving up on an answer (its TimeoutError, at overload).
    lines.append("")
    lines.append(f"{'open loop, request to scheduled':<44}{'req/s':>9}{'p50 ms':>9}"
                 f"{'p99 ms':>9}{'x floor':>9}{'passed':>8}{'late':>8}{'refused':>8}")
    for step in figures.get("rates", []):
        p50, p99 = step["to_scheduled_p50_s"], step["to_scheduled_p99_s"]
        lines.append(
            f"{'  rate tried':<44}{step['rate']:>9.0f}"
            f"{_fmt(p50 * 1000 if p50 is not None else None, '.0f'):>9}"
            f"{_fmt(p99 * 1000 if p99 is not None else None, '.0f'):>9}"
            f"{_x(ratio(step['rate'], floor)):>9}{'yes' if step['passed'] else 'no':>8}"
            f"{step['not_scheduled']:>8}{step['refused']:>8}")
    sustained = best["rate"] if best else None
    lines.append(f"{'highest sustained, p99 < 1 s':<44}{_fmt(sustained, '.0f'):>9}{'':>18}"
                 f"{_x(ratio(sustained, floor)):>9}{_x(TARGETS['sustained']):>8}")
    lines.append("")
    lines += _cpu_table(figures)
    return "\n".join(lines)


def _cpu_table(figures: dict[str, Any]) -> list[str]:
    phases = [k for k in ("floor", "gateway_alone", "whole_system") if k in figures]
    names = sorted({name for k in phases for name in figures[k]["cpu_ms_per_request"]})
    lines = [f"{'CPU ms per accepted request':<44}"
             + "".join(f"{k.replace('_', ' '):>15}" for k in phases)]
    totals = {k: 0.0 for k in phases}
    for name in names:
        cells = []
        for k in phases:
            value = figures[k]["cpu_ms_per_request"].get(name)
            # The floor's run has no services; a process idle in a phase shows 0.00.
            if k == "floor" and name not in ("baseline", "postgres", "wrk"):
                value = None
            totals[k] += value or 0.0
            cells.append(f"{_fmt(value, '.3f'):>15}")
        lines.append(f"{'  ' + name:<44}" + "".join(cells))
    lines.append(f"{'  all processes':<44}" + "".join(f"{totals[k]:>15.3f}" for k in phases))
    lines.append(f"{'  x floor':<44}"
                 + "".join(f"{_x(ratio(totals[k], totals['floor'])):>15}" for k in phases))
    return lines
