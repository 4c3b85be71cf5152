"""catalog-service's function handler, called for the realtime model's booking tools.

``POST {CATALOG_SERVICE_URL}/api/function-handler`` with the internal bearer token and
seed 004's body, over one httpx client shared by the process. A request that got no
answer (connection refused or reset, timeout) is sent once more with the same
``context.tool_call_id``: with the call sid it is the handler's idempotency key, so a
booking whose answer was lost is answered again, never made twice.
"""

from __future__ import annotations

from typing import Any

import httpx
from ringbook.logging import get_logger

from media_bridge.application.catalog_ports import BookingFunctionFailed

log = get_logger(__name__)

PATH = "/api/function-handler"
ATTEMPTS = 2


class CatalogBookingFunctions:
    def __init__(self, http: httpx.AsyncClient, *, base_url: str, token: str,
                 timeout: float) -> None:
        self._http, self._url = http, base_url.rstrip("/") + PATH
        self._headers = {"Authorization": f"Bearer {token}"}
        self._timeout = timeout

    async def call(self, function_name: str, arguments: dict[str, Any],
                   context: dict[str, str | None]) -> dict[str, Any]:
        body = {"function_name": function_name, "arguments": arguments,
                "context": {k: v for k, v in context.items() if v is not None}}
        response: httpx.Response | None = None
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = await self._http.post(self._url, json=body, headers=self._headers,
                                                 timeout=self._timeout)
                break
            except (httpx.TransportError, httpx.TimeoutException) as exc:
                log.warning("booking_function_unanswered", function=function_name,
                            attempt=attempt, error=repr(exc))
        if response is None:
            raise BookingFunctionFailed("the function handler did not answer")
        # A 4xx other than 429 is the handler's verdict on the arguments, in its JSON
        # body: the model reads it. 5xx and 429 say nothing about them.
        if response.status_code >= 500 or response.status_code == 429:
            raise BookingFunctionFailed(f"the function handler answered {response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            raise BookingFunctionFailed("the function handler's answer is not JSON") from None
        if not isinstance(answer, dict):
            raise BookingFunctionFailed("the function handler's answer is not an object")
        return answer
