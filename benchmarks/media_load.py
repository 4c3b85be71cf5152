"""``python -m benchmarks.run --media``: the media load test of media-bridge.

For each N, N simulated calls stream a stamped 20 ms frame every 20 ms in both
directions (Twilio -> model and model -> Twilio) for ``seconds``:

* baseline: the Twilio-side generator talks straight to the fake model over loopback
  websockets (no bridge), same frames, same pacing;
* bridge: the Twilio side connects to media-bridge's ``/media-stream`` (a real process,
  real Postgres and NATS), which connects to the fake model through the openai SDK.

Latency is one-way (receive time minus the stamp inside the payload); the bridge's
added latency is bridge minus baseline. Marks the bridge sends are echoed, as Twilio
does. Before the load, 1,000 sequential short calls (connected/start, 5 frames, stop),
after as many warm-up calls, show whether the bridge's RSS grows per call. The
generator runs on core 1, the bridge on core 0 (Postgres and NATS share the generator's
core). Timings are printed, never asserted on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.media_proc import (
    BridgeProcess,
    CpuWindow,
    core_shares,
    core_times,
    cores,
    rss_mib,
)
from benchmarks.media_sim import (
    FRAME_S,
    Direction,
    FakeModel,
    Phase,
    TwilioCall,
    orchestrator_stub,
    short_call,
    twilio_headers,
)
from benchmarks.ws_peer import Peer, connect_peer

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / ".ringbook" / "bench" / "media.json"
SHORT_CALLS = 1000
WARM_UP_CALLS = 1000
DRAIN_S = 2.0  # after the last frame, before stop: frames still in flight may arrive


def _say(text: str) -> None:
    print(f"» {text}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def direction_figures(d: Direction) -> dict[str, Any]:
    sent, lost, dup = d.losses()
    p50, p99 = percentile(d.latencies, 0.50), percentile(d.latencies, 0.99)
    return {"p50_ms": None if p50 is None else p50 * 1000,
            "p99_ms": None if p99 is None else p99 * 1000,
            "frames_sent": sent, "lost": lost, "duplicated": dup}


async def _open(url: str, twilio: TwilioCall) -> Peer | None:
    try:
        return await connect_peer(url, twilio.on_text, twilio_headers(url))
    except (OSError, TimeoutError) as exc:
        _say(f"call {twilio.call}: {type(exc).__name__}: {exc}")
        return None


async def run_phase(model: FakeModel, url: str, calls: int, seconds: float,
                    bridge_pid: int | None, *, bridge_core: int) -> dict[str, Any]:
    phase = Phase(frames=max(1, int(seconds / FRAME_S)), calls=calls)
    model.phase = phase
    twilios = [TwilioCall(url, i, phase, echo_marks=True) for i in range(calls)]
    figures: dict[str, Any] = {}
    peers = await asyncio.gather(*(_open(url, t) for t in twilios))
    live = [(t, peer) for t, peer in zip(twilios, peers, strict=True) if peer is not None]
    try:
        await asyncio.gather(*(t.prepare(peer) for t, peer in live))
        figures["calls_streaming"] = sum(t.ok for t, _ in live)
        bridge = CpuWindow(bridge_pid) if bridge_pid else None
        generator = CpuWindow(os.getpid())
        for window in (bridge, generator):
            if window is not None:
                window.start()
        core0 = core_times(bridge_core)
        phase.t0 = time.perf_counter() + 0.05
        phase.go.set()
        streams = [asyncio.create_task(t.stream(ws, DRAIN_S)) for t, ws in live]
        # The CPU window is the streaming itself, not the drain or the hang-ups.
        await asyncio.sleep(max(0.0, phase.t0 + seconds - time.perf_counter()))
        figures["generator_cpu_pct"] = generator.stop()
        figures["bridge_core"] = core_shares(core0, core_times(bridge_core))
        if bridge is not None and bridge_pid:
            figures["bridge_cpu_pct"] = bridge.stop()
            figures["bridge_rss_mib"] = rss_mib(bridge_pid)
        async with asyncio.timeout(seconds + DRAIN_S + 60):
            await asyncio.gather(*streams)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):  # the bridge closes each socket after stop
                await asyncio.gather(*(peer.closed for _, peer in live))
    finally:
        for _, peer in live:
            peer.close()
    model.phase = None
    figures["up"] = direction_figures(phase.up)
    figures["down"] = direction_figures(phase.down)
    return figures


async def _short_calls(url: str, first: int, count: int) -> int:
    """``count`` sequential short calls; how many failed."""
    failed = 0
    for call in range(first, first + count):
        try:
            await short_call(url, call)
        except (OSError, TimeoutError) as exc:
            failed += 1
            if failed <= 3:
                _say(f"short call {call}: {type(exc).__name__}: {exc}")
    await asyncio.sleep(1.0)  # let the last calls' call_completed writes finish
    return failed


async def sequential_calls(url: str, pid: int, count: int) -> dict[str, Any]:
    """RSS before any call, after a warm-up (the first calls fill caches, pools and the
    allocator's arenas: seen here, +7 MiB over the first 500 calls, flat from ~1,500 on),
    and after ``count`` more: the last two must match if nothing is kept per call."""
    cold = rss_mib(pid)
    failed = await _short_calls(url, 1_000_000, WARM_UP_CALLS)
    start = rss_mib(pid)
    began = time.monotonic()
    failed += await _short_calls(url, 2_000_000, count)
    return {"calls": count, "warm_up_calls": WARM_UP_CALLS, "failed": failed,
            "rss_cold_mib": cold, "rss_start_mib": start, "rss_after_mib": rss_mib(pid),
            "seconds": time.monotonic() - began}


async def _main(root: Path, bridge: BridgeProcess, sizes: list[int], seconds: float
                ) -> dict[str, Any]:
    model = FakeModel()
    await model.start()
    stub, stub_port = await orchestrator_stub()
    pid = bridge.start(model_port=model.port, orchestrator_port=stub_port)
    await asyncio.to_thread(bridge.wait_ready)
    figures: dict[str, Any] = {"bridge_pid": pid}
    try:
        _say(f"{SHORT_CALLS} sequential short calls")
        figures["sequential"] = await sequential_calls(bridge.url, pid, SHORT_CALLS)
        direct = f"ws://127.0.0.1:{model.port}/v1/realtime?model=bench"
        for n in sizes:
            _say(f"N={n}: baseline (direct), {seconds:g} s")
            base = await run_phase(model, direct, n, seconds, None,
                                   bridge_core=min(bridge.cores))
            _say(f"N={n}: through media-bridge, {seconds:g} s")
            through = await run_phase(model, bridge.url, n, seconds, pid,
                                      bridge_core=min(bridge.cores))
            figures.setdefault("loads", {})[str(n)] = {"baseline": base, "bridge": through}
    finally:
        stub.close()
        await model.stop()
    return figures


def _fmt(value: float | None, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None or b <= 0 else f"{a / b:.1f}x"


def render(figures: dict[str, Any]) -> str:
    cfg = figures["config"]
    lines = [f"media-bridge load test: {cfg['seconds']:g} s per phase, 20 ms frames each way, "
             f"marks echoed; bridge pinned to cores {cfg['bridge_cores']}, load generator "
             f"(Twilio side + fake model) pinned to cores {cfg['generator_cores']} "
             "(os.sched_setaffinity), Postgres/NATS on the generator's cores", ""]
    head = (f"{'N':>4} {'dir':<13} {'bridge p50/p99 ms':>18} {'direct p50/p99 ms':>18} "
            f"{'added p50/p99 ms':>17} {'ratio p50/p99':>14} {'lost':>6} {'dup':>4} "
            f"{'direct lost':>11}")
    lines += [head, "-" * len(head)]
    for n, load in figures.get("loads", {}).items():
        for key, label in (("up", "Twilio→model"), ("down", "model→Twilio")):
            b, d = load["bridge"][key], load["baseline"][key]
            added = [None if b[k] is None or d[k] is None else b[k] - d[k]
                     for k in ("p50_ms", "p99_ms")]
            lines.append(
                f"{n:>4} {label:<13} {_fmt(b['p50_ms']):>8} /{_fmt(b['p99_ms']):>8} "
                f"{_fmt(d['p50_ms']):>8} /{_fmt(d['p99_ms']):>8} "
                f"{_fmt(added[0]):>7} /{_fmt(added[1]):>8} "
                f"{_ratio(b['p50_ms'], d['p50_ms']):>6} /{_ratio(b['p99_ms'], d['p99_ms']):>6} "
                f"{b['lost']:>6} {b['duplicated']:>4} {d['lost']:>11}")
    lines += ["", f"{'N':>4} {'calls ok':>9} {'frames/dir':>11} {'bridge CPU%':>12} "
              f"{'bridge RSS MiB':>15} {'generator CPU% (bridge/direct)':>31} "
              f"{'core-0 busy/idle/steal %':>25}"]
    for n, load in figures.get("loads", {}).items():
        b, d = load["bridge"], load["baseline"]
        lines.append(f"{n:>4} {b['calls_streaming']:>4}/{n:<4} {b['up']['frames_sent']:>11} "
                     f"{_fmt(b.get('bridge_cpu_pct'), '.1f'):>12} "
                     f"{_fmt(b.get('bridge_rss_mib'), '.1f'):>15} "
                     f"{_fmt(b['generator_cpu_pct'], '.1f'):>20} / "
                     f"{_fmt(d['generator_cpu_pct'], '.1f'):<8} "
                     f"{'{busy_pct:.0f}/{idle_pct:.0f}/{steal_pct:.0f}'.format(**b['bridge_core']):>16}")
    seq = figures.get("sequential")
    if seq:
        lines += ["", f"RSS over {seq['calls']} sequential short calls (start, 5 frames, stop; "
                  f"{seq['failed']} failed, {seq['seconds']:.1f} s): "
                  f"{seq['rss_start_mib']:.1f} MiB at start -> {seq['rss_after_mib']:.1f} MiB "
                  f"after ({seq['rss_after_mib'] - seq['rss_start_mib']:+.1f} MiB); "
                  f"{seq['rss_cold_mib']:.1f} MiB before the {seq['warm_up_calls']} "
                  "warm-up calls"]
    lines += ["CPU% is of one core (100 = a full core). A generator near 100% means the "
              "figures are bounded by the load generator;",
              "core-0 busy far above the bridge's CPU% means other processes on the host "
              "shared the bridge's core (steal = hypervisor)."]
    return "\n".join(lines)


def run_media(sizes: list[int], seconds: float) -> int:
    root = Path(tempfile.mkdtemp(prefix="ringbook-media-bench-"))
    bridge_cores, generator_cores = cores()
    figures: dict[str, Any] = {"config": {
        "seconds": seconds, "calls": sizes, "frame_ms": 20, "drain_s": DRAIN_S,
        "bridge_cores": sorted(bridge_cores), "generator_cores": sorted(generator_cores),
        "short_calls": SHORT_CALLS, "root": str(root)}}
    bridge = BridgeProcess(root, bridge_cores)
    keep = True
    try:
        # Pinned before the infra starts: Postgres and NATS inherit the generator's core,
        # leaving the bridge's core to the bridge (other tenants of the host aside).
        os.sched_setaffinity(0, generator_cores)
        _say("starting Postgres and NATS")
        bridge.start_infra()
        try:
            import uvloop

            figures.update(uvloop.run(_main(root, bridge, sizes, seconds)))
        except ImportError:
            figures.update(asyncio.run(_main(root, bridge, sizes, seconds)))
        keep = False
    finally:
        _say("stopping")
        bridge.stop()
        if keep:
            _say(f"logs kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print(render(figures), flush=True)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"figures written to {OUTPUT.relative_to(REPO)}", flush=True)
    seq = figures.get("sequential", {})
    return 1 if seq.get("failed") else 0
