"""Asks call-orchestrator to hang up a call (it owns the carrier's REST API).

``POST {ORCHESTRATOR_URL}/internal/calls/{call_sid}/hangup`` with the internal bearer
token, over one httpx client shared by the process. A failure is logged and never
raised: the conversation is over either way, and the carrier ends the call when the
stream closes.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
from ringbook.logging import get_logger

log = get_logger(__name__)


class OrchestratorHangup:
    def __init__(
        self, http: httpx.AsyncClient, *, base_url: str, token: str, timeout: float
    ) -> None:
        self._http, self._base = http, base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._timeout = timeout

    async def hang_up(self, call_sid: str) -> None:
        url = f"{self._base}/internal/calls/{quote(call_sid, safe='')}/hangup"
        try:
            response = await self._http.post(url, headers=self._headers, timeout=self._timeout)
        except httpx.HTTPError as exc:
            log.warning("hangup_request_failed", call_sid=call_sid, error=repr(exc))
            return
        if response.is_error:
            log.warning("hangup_refused", call_sid=call_sid, status=response.status_code)
        else:
            log.info("hangup_requested", call_sid=call_sid)
