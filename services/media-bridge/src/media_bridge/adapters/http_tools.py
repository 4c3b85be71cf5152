"""Requests to a business's HTTP tools during a call (httpx), guarded and signed.

The request: ``GET`` sends the model's arguments as the query string; every other
method sends them as the JSON body. Headers: the tool's own headers, its
authentication, ``X-Ringbook-Signature`` (``ringbook.tool_signature``, over the exact
body bytes; empty for a GET), ``User-Agent: Ringbook-Tools/1``. The tool's headers,
authentication and signing secret are opened from their sealed form here, for this one
request, and never logged.

Where it may go (``ringbook.net_guard``): http(s) only; the host is resolved once, ANY
of its addresses being loopback, private or link-local refuses the request (unless
private addresses are allowed, a development setting), and the connection goes to
THAT address, never to the name again (DNS rebinding). The request is sent to the
pinned address with the original ``Host`` header and, for https, the original name as
TLS server name (SNI), which the certificate is verified against. The client keeps no
connections alive: a pooled TLS connection is keyed by address, and reusing one
opened for another name would skip that name's certificate check. Redirects are not
followed (their target was never checked); environment proxies are not used (a proxy
would resolve the name itself).

Limits: the whole request (resolving included) within the tool's ``timeout_seconds``,
capped by ``TOOL_TIMEOUT_MAX_SECONDS``; an answer larger than
``TOOL_MAX_RESPONSE_BYTES`` (after content decoding) is abandoned unread and is an
error, never half a JSON document.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
from typing import Any

import httpx
import orjson
from ringbook.net_guard import RefusedDestination, check_url, resolve_public
from ringbook.secret_box import SecretBox, SecretUnreadable
from ringbook.tool_signature import SIGNATURE_HEADER, sign

from media_bridge.application.catalog_ports import ToolAnswer, ToolRequestFailed
from media_bridge.domain.assistant_session import HttpTool

USER_AGENT = "Ringbook-Tools/1"
# Headers a tool's own configuration may not set: they are the transport's or ours.
_RESERVED = frozenset({"host", "content-length", "transfer-encoding", "connection",
                       SIGNATURE_HEADER.lower()})


def tool_http_client(verify: ssl.SSLContext | bool = True) -> httpx.AsyncClient:
    """The client for tool requests (see the module doc for each option)."""
    return httpx.AsyncClient(
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_keepalive_connections=0),
        verify=verify,
    )


class HttpToolRequests:
    def __init__(
        self,
        http: httpx.AsyncClient,
        secrets: SecretBox,
        *,
        max_timeout_seconds: float,
        max_response_bytes: int,
        allow_private: bool,
    ) -> None:
        self._http, self._secrets = http, secrets
        self._max_timeout, self._max_bytes = max_timeout_seconds, max_response_bytes
        self._allow_private = allow_private

    async def request(self, tool: HttpTool, arguments: dict[str, Any]) -> ToolAnswer:
        timeout = min(tool.timeout_seconds, self._max_timeout)
        try:
            async with asyncio.timeout(timeout):
                return await self._request(tool, arguments, seconds=timeout)
        except (TimeoutError, httpx.TimeoutException):
            raise ToolRequestFailed(
                f"the tool did not answer within {timeout:g} seconds") from None

    async def _request(self, tool: HttpTool, arguments: dict[str, Any], *,
                       seconds: float) -> ToolAnswer:
        """``seconds``: httpx's own bound too (connect, each read), inside the overall one."""
        try:
            destination = check_url(tool.endpoint, allow_private=self._allow_private)
            address = await resolve_public(destination, allow_private=self._allow_private)
        except RefusedDestination as exc:
            raise ToolRequestFailed(f"the tool's address is not allowed ({exc})") from None
        url = httpx.URL(tool.endpoint)
        method = tool.method.upper()
        body = b""
        if method == "GET":
            url = url.copy_merge_params(_query(arguments))
        else:
            body = orjson.dumps(arguments)
        headers = self._headers(tool, body, host=url.netloc.decode("ascii"))
        try:
            request = self._http.build_request(
                method, url.copy_with(host=address), headers=headers,
                content=body if method != "GET" else None, timeout=seconds,
                extensions=({"sni_hostname": url.raw_host.decode("ascii")}
                            if url.scheme == "https" else {}),
            )
        except (ValueError, TypeError, httpx.HTTPError):
            raise ToolRequestFailed("the tool's configuration is not valid") from None
        try:
            response = await self._http.send(request, stream=True)
        except httpx.TimeoutException:
            raise
        except httpx.HTTPError:
            raise ToolRequestFailed("the tool could not be reached") from None
        try:
            content = await self._read(response)
        finally:
            await response.aclose()
        return ToolAnswer(response.status_code, content,
                          response.headers.get("content-type", ""))

    def _headers(self, tool: HttpTool, body: bytes, *, host: str) -> dict[str, str]:
        try:
            secret = self._secrets.open(tool.signing_secret_sealed)
            own = _json_object(self._secrets.open(tool.headers_sealed)
                               if tool.headers_sealed else "{}")
            auth = _json_object(self._secrets.open(tool.authentication_sealed)
                                if tool.authentication_sealed else "{}")
        except (SecretUnreadable, ValueError):
            raise ToolRequestFailed("the tool's credentials cannot be read") from None
        headers = {name: value for name, value in own.items()
                   if isinstance(value, str) and name.lower() not in _RESERVED}
        headers.update(_authentication(auth))
        headers.update({
            "Host": host,
            "User-Agent": USER_AGENT,
            "Accept": "application/json, text/plain;q=0.9, */*;q=0.5",
            SIGNATURE_HEADER: sign(secret, body),
        })
        if body:
            headers["Content-Type"] = "application/json"
        return headers

    async def _read(self, response: httpx.Response) -> bytes:
        status = response.status_code
        too_large = ToolRequestFailed(
            f"the tool's answer is larger than {self._max_bytes} bytes", status=status)
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self._max_bytes:
                    raise too_large
                chunks.append(chunk)
        except httpx.TimeoutException:
            raise
        except httpx.HTTPError:
            raise ToolRequestFailed("the tool's answer was cut off", status=status) from None
        return b"".join(chunks)


def _json_object(text: str) -> dict[str, Any]:
    value = orjson.loads(text)
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def _authentication(auth: dict[str, Any]) -> dict[str, str]:
    """The header of an authentication object (the shapes catalog-service accepts)."""
    kind = auth.get("type")
    if kind == "bearer" and isinstance(auth.get("token"), str):
        return {"Authorization": f"Bearer {auth['token']}"}
    if kind == "basic" and isinstance(auth.get("username"), str):
        pair = f"{auth['username']}:{auth.get('password') or ''}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
    if kind == "api_key" and isinstance(auth.get("header"), str) \
            and isinstance(auth.get("value"), str) \
            and auth["header"].lower() not in _RESERVED:
        return {auth["header"]: auth["value"]}
    return {}


def _query(arguments: dict[str, Any]) -> dict[str, str]:
    """Arguments as query parameters: scalars as text, anything nested as JSON."""
    params: dict[str, str] = {}
    for name, value in arguments.items():
        if value is None:
            continue
        if isinstance(value, bool):
            params[name] = "true" if value else "false"
        elif isinstance(value, str | int | float):
            params[name] = str(value)
        else:
            params[name] = orjson.dumps(value).decode()
    return params
