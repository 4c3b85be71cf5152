"""Closed-loop load with wrk (Debian's package ``wrk``), driven by a generated Lua script.

wrk is written in C: on a 2-core machine it takes a small share of a core for the same
load that a Python generator would need a whole core for, so the servers keep the CPU
and the figures say what they can do. Each request carries a fresh ``request_id`` (a
random UUID made in Lua) and one of the registered users' tokens, so every request is a
new accept, never an idempotent retry. The script's ``done`` hook prints one JSON line
(wrk's own summary and latency percentiles), which :func:`run_wrk` parses.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.loadgen import BUSY_NUMBER, PATH, User, body_for

MARKER = "RINGBOOK_WRK "

_SCRIPT = r"""
local tokens = {TOKENS}
local users = {USERS}
local body_before, body_after = {BEFORE}, {AFTER}
local n = 0
math.randomseed(os.time() + {SEED})

local function hex(bits)
  return string.format("%0" .. (bits / 4) .. "x", math.random(0, 2 ^ bits - 1))
end

local function uuid4()
  return hex(16) .. hex(16) .. "-" .. hex(16) .. "-4" .. string.sub(hex(16), 2) .. "-"
    .. string.format("%x", 8 + math.random(0, 3)) .. string.sub(hex(16), 2) .. "-"
    .. hex(16) .. hex(16) .. hex(16)
end

request = function()
  n = n + 1
  local i = (n % #tokens) + 1
  local body = body_before .. uuid4() .. '", "user_id": "' .. users[i] .. body_after
  return wrk.format("POST", "{PATH}", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[i],
  }, body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{MARKER}{"requests": %d, "duration_us": %d, "connect": %d, "read": %d, '
    .. '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, '
    .. '"p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def _lua_string(text: str) -> str:
    """A Lua long string: no escapes to get wrong (LuaJIT knows no ``\\u``)."""
    assert "]==]" not in text
    return f"[==[{text}]==]"


def script(users: tuple[User, ...], number: str = BUSY_NUMBER, seed: int = 0) -> str:
    """The Lua script: seed 000's body split around the request and user ids."""
    template = body_for(users[0], number)
    template["request_id"] = "@RID@"
    template["user_id"] = "@UID@"
    text = json.dumps(template, ensure_ascii=False)
    before, rest = text.split('"@RID@"')
    middle, after = rest.split('"@UID@"')
    assert middle == ', "user_id": ', middle  # the ids are adjacent in body_for's order
    return (_SCRIPT
            .replace("{TOKENS}", "{" + ", ".join(_lua_string(u.token) for u in users) + "}")
            .replace("{USERS}", "{" + ", ".join(_lua_string(u.id) for u in users) + "}")
            .replace("{BEFORE}", _lua_string(before + '"'))
            .replace("{AFTER}", _lua_string('"' + after))
            .replace("{SEED}", str(seed))
            .replace("{PATH}", PATH)
            .replace("{MARKER}", MARKER))


@dataclass(frozen=True)
class WrkRun:
    base_url: str
    users: tuple[User, ...]
    connections: int = 32
    duration: float = 15.0
    threads: int = 1
    number: str = BUSY_NUMBER


def available() -> str | None:
    return shutil.which("wrk")


def start(run: WrkRun, *, seed: int = 0) -> tuple[subprocess.Popen[str], Path]:
    """wrk started (not awaited), so the caller can take CPU snapshots around it."""
    binary = available()
    if binary is None:
        raise RuntimeError("wrk is not installed: `apt-get install wrk` (Debian's package)")
    folder = Path(tempfile.mkdtemp(prefix="ringbook-wrk-"))
    lua = folder / "accept.lua"
    lua.write_text(script(run.users, run.number, seed))
    proc = subprocess.Popen(
        [binary, "-t", str(run.threads), "-c", str(run.connections),
         "-d", f"{run.duration:g}s", "--timeout", "10s", "-s", str(lua), run.base_url],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc, folder


def finish(proc: subprocess.Popen[str], folder: Path, *, timeout: float) -> dict[str, Any]:
    try:
        out, _ = proc.communicate(timeout=timeout)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for line in out.splitlines():
        if line.startswith(MARKER):
            figures: dict[str, Any] = json.loads(line[len(MARKER):])
            seconds = figures["duration_us"] / 1e6
            failed = sum(figures[k] for k in ("connect", "read", "write", "status", "timeout"))
            figures["ok"] = figures["requests"] - figures["status"]
            figures["failed"] = failed
            figures["per_s"] = figures["ok"] / seconds if seconds > 0 else 0.0
            figures["p50_ms"] = figures["p50_us"] / 1000
            figures["p99_ms"] = figures["p99_us"] / 1000
            return figures
    raise RuntimeError(f"wrk printed no summary (exit {proc.returncode}):\n{out[-2000:]}")
