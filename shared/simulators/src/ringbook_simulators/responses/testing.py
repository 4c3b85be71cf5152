"""Test helper: the SIMULATED LLM in-process, on a real socket (uvicorn, free port)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from ringbook_simulators.carrier.testing import serve_app
from ringbook_simulators.responses.api import LlmState, create_responses_app


@asynccontextmanager
async def running_llm(state: LlmState | None = None) -> AsyncIterator[str]:
    """Yields the base URL for ``AsyncOpenAI(base_url=...)`` (``http://host:port/v1``);
    ``state`` is where a test injects failures and reads the requests received."""
    async with serve_app(create_responses_app(state or LlmState())) as url:
        yield f"{url}/v1"
