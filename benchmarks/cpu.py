"""CPU seconds per component (a process and all its descendants), from /proc.

On a 2-core machine the accept path is CPU-bound, so where the CPU went during a phase
explains a throughput ratio better than the ratio alone (e.g. how much of it the
simulated carrier's media streams took, a cost production does not pay locally).
Linux only; elsewhere every figure is simply absent.
"""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _processes() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds used so far)."""
    table: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue  # exited while we looked
        # The command name is parenthesised and may hold spaces: split after it.
        fields = raw[raw.rfind(")") + 2:].split()
        # fields[1] is ppid; fields[11:15] are utime, stime, cutime, cstime (stat fields
        # 14-17). The last two hold the children that exited and were waited for: a
        # Postgres backend that ends mid-phase keeps its CPU in its parent's count.
        table[int(entry.name)] = (int(fields[1]), sum(int(f) for f in fields[11:15]) / TICKS)
    return table


def snapshot(roots: dict[str, int]) -> dict[str, float]:
    """CPU seconds of each named process tree, its exited and reaped descendants
    included (a process that exited but is not yet waited for is missed)."""
    if not Path("/proc/self/stat").exists():
        return {}
    table = _processes()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    totals: dict[str, float] = {}
    for name, root in roots.items():
        seen, stack, total = set(), [root], 0.0
        while stack:
            pid = stack.pop()
            if pid in seen or pid not in table:
                continue
            seen.add(pid)
            total += table[pid][1]
            stack.extend(children.get(pid, []))
        totals[name] = total
    return totals


def host_busy() -> tuple[float, float]:
    """(busy, total) jiffies over all cores since boot, from the first line of /proc/stat."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return float(sum(values) - idle), float(sum(values))


def cpu_pressure_us() -> float | None:
    """Microseconds during which some runnable task waited for a CPU (Linux PSI), or None.

    Over a phase, its growth divided by the wall time is the share of time something
    was queued for a core: the most direct reading of how contended the machine was.
    """
    try:
        for line in Path("/proc/pressure/cpu").read_text().splitlines():
            if line.startswith("some "):
                return float(line.rsplit("total=", 1)[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def usage(before: dict[str, float], after: dict[str, float], wall: float) -> dict[str, float]:
    """Average cores used by each component over ``wall`` seconds (1.0 = one full core)."""
    if wall <= 0:
        return {}
    return {name: (after[name] - before.get(name, 0.0)) / wall for name in after}
