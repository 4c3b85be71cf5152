"""``python -m ringbook_simulators.realtime --port 8200``: the SIMULATED realtime model."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from ringbook.logging import configure_logging, get_logger

from ringbook_simulators.realtime.server import RealtimeModelSimulator


async def _serve(host: str, port: int) -> None:
    simulator = RealtimeModelSimulator(host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with simulator:
        get_logger("ringbook_simulators.realtime").info(
            "starting SIMULATED realtime model: follows scripts, not AI",
            base_url=simulator.base_url,
        )
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="SIMULATED OpenAI Realtime model (scripted)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8200)
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args()
    configure_logging(service="realtime-simulator", level=args.log_level)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.host, args.port))


if __name__ == "__main__":
    main()
