"""Figures -> the printed table and ``.ringbook/bench/latest.json``.

Percentiles come from :func:`statistics.quantiles` (no numpy in the workspace).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def percentile(samples: Sequence[float], pct: int) -> float | None:
    """The ``pct``-th percentile (1..99), or None when there is nothing to summarise.

    ``method="inclusive"`` keeps every cut point inside the observed range, so a p99
    over few samples is never an extrapolation beyond the slowest request seen.
    """
    if not samples:
        return None
    if len(samples) == 1:
        return float(samples[0])
    return statistics.quantiles(samples, n=100, method="inclusive")[pct - 1]


def summarise(samples: Sequence[float]) -> dict[str, float | int | None]:
    """count, p50, p90, p99, max and mean of latencies (milliseconds in, milliseconds out)."""
    return {
        "count": len(samples),
        "p50": percentile(samples, 50),
        "p90": percentile(samples, 90),
        "p99": percentile(samples, 99),
        "max": max(samples) if samples else None,
        "mean": statistics.fmean(samples) if samples else None,
    }


def ratio(ours: float | None, baseline: float | None) -> float | None:
    if ours is None or baseline is None or baseline == 0:
        return None
    return ours / baseline


GENERATOR_SATURATED = 0.85  # cores

Row = tuple[str, float | None, float | None, str]  # label, ringbook, baseline, number format


def phase_figures(raw: dict[str, Any]) -> dict[str, Any]:
    """A phase's raw result reduced to figures (the latency samples are summarised)."""
    elapsed = raw.get("elapsed_s") or 0.0
    kept = ("accepted", "sent", "non_202", "errors", "elapsed_s", "cpu_cores", "host_busy",
            "cpu_pressure")
    figures: dict[str, Any] = {key: raw[key] for key in kept if key in raw}
    figures["accepts_per_s"] = raw["accepted"] / elapsed if elapsed > 0 else None
    figures["latency_ms"] = summarise(raw["latencies_ms"])
    if "schedule_lag_ms" in raw:  # open loop: how late the generator sent, vs. schedule
        figures["schedule_lag_ms"] = summarise(raw["schedule_lag_ms"])
    return figures


def call_figures(calls: list[dict[str, Any]], window: float) -> dict[str, Any]:
    """202 -> call_started by SSE (client clock) and by timeline stamps (server clock);
    SSE is used unless it saw fewer than 90% of what the timelines show."""
    limit = window * 1000
    sse = [c["sse_ms"] for c in calls if c["sse_ms"] is not None and c["sse_ms"] <= limit]
    timeline = [c["timeline_ms"] for c in calls
                if c["timeline_ms"] is not None and c["timeline_ms"] <= limit]
    use_sse = bool(sse) and len(sse) >= 0.9 * len(timeline)
    chosen = sse if use_sse else timeline
    return {
        "method": "sse" if use_sse else "timeline",
        "accepted": len(calls),
        "reached_within_window": len(chosen),
        "window_s": window,
        "latency_ms": summarise(chosen),
        "sse_ms": summarise(sse),
        "timeline_ms": summarise(timeline),
        "sse_failures": dict(Counter(c["sse_error"] for c in calls if c["sse_error"])),
    }


def rows(figures: dict[str, Any], concurrency: int, duration: float, rate: float) -> list[Row]:
    def get(phase: str, *path: str) -> float | None:
        value: Any = figures["phases"].get(phase)
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return value if isinstance(value, (int, float)) else None

    closed = f"({concurrency} clients, {duration:g} s)"
    table: list[Row] = [
        (f"accepts/s {closed}", get("ringbook_closed", "accepts_per_s"),
         get("baseline_closed", "accepts_per_s"), "{:.1f}")]
    for pct in ("p50", "p99"):
        table.append((f"accept {pct} ms {closed}", get("ringbook_closed", "latency_ms", pct),
                      get("baseline_closed", "latency_ms", pct), "{:.1f}"))
    table.append((f"non-202 + errors {closed}", _failures(figures, "ringbook_closed"),
                  _failures(figures, "baseline_closed"), "{:.0f}"))
    opened = f"({rate:g}/s open loop)"
    for pct in ("p50", "p99"):
        table.append((f"accept {pct} ms {opened}", get("ringbook_open", "latency_ms", pct),
                      get("baseline_open", "latency_ms", pct), "{:.1f}"))
    calls = figures.get("call_started") or {}
    method = calls.get("method", "sse")
    for pct in ("p50", "p99", "max"):
        table.append((f"202->call_started {pct} ms [{method}]",
                      (calls.get("latency_ms") or {}).get(pct),
                      get("baseline_open", "latency_ms", pct), "{:.1f}"))
    return table


def _failures(figures: dict[str, Any], phase: str) -> float | None:
    data = figures["phases"].get(phase)
    if not data:
        return None
    return float(sum(data["non_202"].values()) + sum(data["errors"].values()))


def render(table: list[Row], figures: dict[str, Any]) -> str:
    cores = os.cpu_count()
    lines = [f"Ringbook benchmarks ({cores} cores, loopback, same-run baseline)",
             f"{'measure':<44}{'ringbook':>12}{'baseline':>12}{'ratio':>9}"]
    for label, ours, base, fmt in table:
        r = ratio(ours, base)
        lines.append(f"{label:<44}{_fmt(ours, fmt):>12}{_fmt(base, fmt):>12}"
                     f"{(f'{r:.2f}x' if r is not None else '-'):>9}")
    calls = figures.get("call_started")
    if calls:
        lines.append(f"reached call_started within {calls['window_s']:g} s: "
                     f"{calls['reached_within_window']}/{calls['accepted']} accepted requests")
        lines.append(f"  method: {_method_note(calls)}")
        lines.append("  (the baseline column of the 202->call_started rows is the baseline's "
                     "own 202 latency at the same rate: the floor of a durable accept)")
    lags = {phase: data["schedule_lag_ms"]["p99"] for phase, data in figures["phases"].items()
            if (data.get("schedule_lag_ms") or {}).get("p99") is not None}
    if lags:
        lines.append("open-loop sends started behind schedule by p99: " + ", ".join(
            f"{phase} {lag:.1f} ms" for phase, lag in lags.items()))
    for phase, data in figures["phases"].items():
        failures = {**data["non_202"], **data["errors"]}
        if failures:
            lines.append(f"{phase}: non-202 / errors: {failures}")
    lines.append("where the CPU went, per phase (cores: 1.00 = one core busy throughout):")
    for phase, data in figures["phases"].items():
        usage = sorted((data.get("cpu_cores") or {}).items(), key=lambda kv: -kv[1])
        busy = data.get("host_busy", 0.0)
        # What the host was busy with beyond this benchmark's processes: on a shared
        # machine, the figure to look at before trusting a ratio.
        others = max(0.0, busy * (os.cpu_count() or 1) - sum(dict(usage).values()))
        pressure = data.get("cpu_pressure")
        waited = f", something waiting for a CPU {pressure:.0%} of the time" if (
            pressure is not None) else ""
        lines.append(f"  {phase}: host {busy:.0%} busy{waited}; other processes {others:.2f}")
        lines.append("    " + ", ".join(
            f"{name} {cores_:.2f}" for name, cores_ in usage if cores_ >= 0.01))
        if (data.get("cpu_cores") or {}).get("load generator", 0.0) >= GENERATOR_SATURATED:
            # One Python process cannot use more than one core: near it, the client may
            # be what limits the figure, which understates the faster side.
            lines.append("    (load generator near one full core: may be client-bound)")
    for phase, error in (figures.get("failed_phases") or {}).items():
        lines.append(f"{phase} failed: {error}")
    if figures.get("system_error"):
        lines.append(f"ringbook not measured, baseline only: {figures['system_error']}")
    return "\n".join(lines)


def _method_note(calls: dict[str, Any]) -> str:
    if calls["method"] == "sse":
        stamps = calls["timeline_ms"]
        return ("SSE arrival, client clock. Cross-check from timeline stamps "
                f"(call_started - request_received, server clock): p50 "
                f"{_fmt(stamps['p50'], '{:.1f}')} ms, p99 {_fmt(stamps['p99'], '{:.1f}')} ms")
    return ("timeline created_at: call_started - request_received, server clocks "
            f"(SSE unreliable: {calls['sse_failures']})")


def _fmt(value: float | None, fmt: str) -> str:
    return "n/a" if value is None else fmt.format(value)


def write_json(path: Path, figures: dict[str, Any], table: list[Row]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "generated_at": datetime.now(UTC).isoformat(),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        **figures,
        "table": [{"measure": label, "ringbook": ours, "baseline": base,
                   "ratio": ratio(ours, base)} for label, ours, base, _ in table],
    }
    path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
