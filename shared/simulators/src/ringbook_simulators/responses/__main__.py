"""``python -m ringbook_simulators.responses --port 8101``: the SIMULATED LLM."""

from __future__ import annotations

import argparse

import uvicorn
from ringbook.logging import configure_logging, get_logger

from ringbook_simulators.responses.api import SIMULATED_NOTICE, LlmState, create_responses_app


def main() -> None:
    parser = argparse.ArgumentParser(description=SIMULATED_NOTICE)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--fail-first", type=int, default=0,
                        help="answer the first N requests with --fail-status")
    parser.add_argument("--fail-status", type=int, default=500, choices=(429, 500, 503))
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args()
    configure_logging(service="llm-simulator", level=args.log_level)
    get_logger("ringbook_simulators.responses").info(
        "starting " + SIMULATED_NOTICE, base_url=f"http://{args.host}:{args.port}/v1")
    state = LlmState(fail_first=args.fail_first, fail_status=args.fail_status)
    uvicorn.run(create_responses_app(state), host=args.host, port=args.port,
                log_level=args.log_level.lower())


if __name__ == "__main__":
    main()
