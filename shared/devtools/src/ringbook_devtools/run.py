"""``make run``: the whole system on this machine, until Ctrl-C."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from ringbook_devtools.system import LocalSystem

BANNER = """
Ringbook is running (telephony: SIMULATED carrier and model, not real calls).
ENVIRONMENT=development: the services use the public development secrets; do not expose them.

  Gateway (request-service)  {gateway}        API docs: {gateway}/docs
  call-orchestrator          {orchestrator}
  media-bridge               {bridge}
  catalog-service            {catalog}
  analytics-service          {analytics}
  simulated carrier / model  {carrier} / ws://127.0.0.1:{model_port}/v1/realtime
  simulated LLM (not AI)     http://127.0.0.1:{llm_port}/v1/responses (post-call analysis)
  logs                       {logs}

Register and log in:
  curl -s -X POST {gateway}/api/auth/register -H 'Content-Type: application/json' \\
       -d '{{"email": "me@example.com", "password": "password123", "name": "Me"}}'
  # -> {{"token": "...", "user": {{"id": "..."}}}}
  # Send the token as "Authorization: Bearer <token>" and the user id as "user_id"
  # in POST {gateway}/api/process-request (README.md has the whole walk-through).

Ctrl-C stops everything.
"""


def main() -> None:
    system = LocalSystem(root=Path(".ringbook").resolve())
    stop = threading.Event()
    # Handle both explicitly: a shell starting us in the background ignores SIGINT, and
    # Python then never raises KeyboardInterrupt.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        system.start()
        print(BANNER.format(
            gateway=system.gateway, orchestrator=system.url("call-orchestrator"),
            bridge=system.url("media-bridge"), catalog=system.url("catalog-service"),
            analytics=system.url("analytics-service"), carrier=system.url("carrier"),
            model_port=system.ports["model"], llm_port=system.ports["llm"],
            logs=system.root / "logs"), flush=True)
        stop.wait()
    except KeyboardInterrupt:
        pass
    except Exception as exc:
        print(f"ringbook failed to start: {exc}", file=sys.stderr)
        raise SystemExit(1) from exc
    finally:
        system.stop()


if __name__ == "__main__":
    main()
