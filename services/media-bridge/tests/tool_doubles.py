"""The outside edges of a tool call, for tests: a business's HTTP tool (a real HTTP server
on 127.0.0.1, and a TLS one that records the server name it was asked for), a fake DNS
(names resolved as a test says, the way a rebinding attacker's resolver would), and the
model's and caller's side of ``AgentTurns`` in memory (the ports, not mocks).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import socket
import ssl
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
import uvicorn
from bridge_harness import _serve
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from media_bridge.adapters.twilio_caller_line import TwilioCallerLine
from media_bridge.domain.call_stream import StreamProgress
from media_bridge.domain.model_events import ModelEvent
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

LARGE_BYTES = 100 * 1024  # above the 64 KiB default cap


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass
class ToolServer:
    """A business's HTTP tool. ``/slots`` answers JSON (echoing what it got), ``/hang``
    waits until ``release`` is set, ``/large`` and ``/large-chunked`` answer 100 KiB,
    ``/redirect`` points at the cloud metadata address, ``/missing`` is a 404 with a
    JSON reason, ``/text`` answers plain text."""

    url: str = ""
    requests: list[SeenRequest] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def app(self) -> Starlette:
        async def record(request: Request) -> SeenRequest:
            seen = SeenRequest(request.method, request.url.path, request.url.query,
                               {k.lower(): v for k, v in request.headers.items()},
                               await request.body())
            self.requests.append(seen)
            return seen

        async def slots(request: Request) -> Response:
            seen = await record(request)
            got = orjson.loads(seen.body) if seen.body else dict(request.query_params)
            return JSONResponse({"free": ["10:30", "11:00"], "got": got})

        async def hang(request: Request) -> Response:
            await record(request)
            await self.release.wait()
            return JSONResponse({"late": True})

        async def large(request: Request) -> Response:
            await record(request)
            return PlainTextResponse("x" * LARGE_BYTES)

        async def large_chunked(request: Request) -> Response:
            await record(request)

            async def chunks() -> AsyncIterator[bytes]:
                for _ in range(LARGE_BYTES // 1024):
                    yield b"y" * 1024

            return StreamingResponse(chunks(), media_type="text/plain")

        async def redirect(request: Request) -> Response:
            await record(request)
            return Response(status_code=302,
                            headers={"Location": "http://169.254.169.254/latest/meta-data"})

        async def missing(request: Request) -> Response:
            await record(request)
            return JSONResponse({"detail": "no such slot"}, status_code=404)

        async def text(request: Request) -> Response:
            await record(request)
            return PlainTextResponse("We open at 8.")

        methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
        return Starlette(routes=[
            Route("/slots", slots, methods=methods), Route("/hang", hang, methods=methods),
            Route("/large", large, methods=methods),
            Route("/large-chunked", large_chunked, methods=methods),
            Route("/redirect", redirect, methods=methods),
            Route("/missing", missing, methods=methods), Route("/text", text, methods=methods),
        ])


@contextlib.asynccontextmanager
async def tool_server() -> AsyncIterator[ToolServer]:
    server = ToolServer()
    running: uvicorn.Server
    running, serving, port = await _serve(server.app())
    server.url = f"http://127.0.0.1:{port}"
    try:
        yield server
    finally:
        server.release.set()
        running.should_exit = True
        await serving


class FakeDns:
    """``socket.getaddrinfo`` answering ``names`` as told (and counting the lookups of
    each), every other name as the real resolver does."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, names: dict[str, list[str]]) -> None:
        self.names, self.lookups = names, {name: 0 for name in names}
        real = socket.getaddrinfo

        def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            name = host.decode() if isinstance(host, bytes) else host
            if name not in self.names:
                return real(host, port, *args, **kwargs)
            self.lookups[name] += 1
            return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM,
                     6, "", (a, int(port or 0))) for a in self.names[name]]

        monkeypatch.setattr(socket, "getaddrinfo", resolve)


# --- a TLS tool server -------------------------------------------------------------------


@dataclass
class TlsToolServer:
    """HTTPS on 127.0.0.1 with a certificate for ``name`` (signed by a test CA that
    ``client_context`` trusts); records the server name (SNI) and the request head."""

    name: str
    port: int = 0
    server_names: list[str | None] = field(default_factory=list)
    heads: list[str] = field(default_factory=list)
    client_context: ssl.SSLContext | None = None


def _certificate(name: str) -> tuple[bytes, bytes, bytes]:
    """(CA pem, leaf pem, leaf key pem): a CA and a leaf for ``name`` signed by it."""
    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ringbook test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(hours=1))
          .not_valid_after(now + dt.timedelta(hours=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    return (ca.public_bytes(pem), leaf.public_bytes(pem),
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))


@contextlib.asynccontextmanager
async def tls_tool_server(name: str, tmp: Any) -> AsyncIterator[TlsToolServer]:
    ca_pem, leaf_pem, key_pem = _certificate(name)
    (tmp / "leaf.pem").write_bytes(leaf_pem)
    (tmp / "key.pem").write_bytes(key_pem)
    server = TlsToolServer(name)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp / "leaf.pem", tmp / "key.pem")

    def sni(_sock: Any, server_name: str | None, _ctx: Any) -> None:
        server.server_names.append(server_name)

    context.sni_callback = sni

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            server.heads.append(head)
            length = next((int(line.split(":", 1)[1]) for line in head.split("\r\n")
                           if line.lower().startswith("content-length:")), 0)
            await reader.readexactly(length)
            body = b'{"secure": true}'
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
                         % (len(body), body))
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass  # a client that refused our certificate hangs up mid-handshake
        finally:
            writer.close()

    listening = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    server.port = listening.sockets[0].getsockname()[1]
    server.client_context = ssl.create_default_context(cadata=ca_pem.decode())
    try:
        yield server
    finally:
        listening.close()
        await listening.wait_closed()


# --- the model's and the caller's side of AgentTurns, in memory ---------------------------


class RecordingModel:
    """The RealtimeModel port in memory: what the bridge sends the model, in order."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []
        self.changed = asyncio.Event()

    def _note(self, kind: str, value: Any) -> None:
        self.sent.append((kind, value))
        self.changed.set()

    async def configure(self, spec: Any) -> None:
        self._note("session.update", spec)

    async def append_audio(self, payload: str) -> None:
        self._note("append", payload)

    def append_audio_now(self, payload: str) -> bool:
        self._note("append", payload)
        return True

    async def truncate(self, item_id: str, audio_end_ms: int) -> None:
        self._note("truncate", (item_id, audio_end_ms))

    async def send_tool_output(self, call_id: str, output: str) -> None:
        self._note("tool_output", (call_id, orjson.loads(output)))

    async def create_response(self, instructions: str | None = None) -> None:
        self._note("response.create", instructions)

    def events(self) -> AsyncIterator[ModelEvent]:
        raise NotImplementedError("tests drive AgentTurns.on_event themselves")

    def deliver_inline(self, sink: Callable[[ModelEvent], bool] | None) -> bool:
        return False

    async def close(self) -> None:
        self._note("close", None)

    def outputs(self) -> list[tuple[str, Any]]:
        return [v for k, v in self.sent if k == "tool_output"]


class MemoryMediaSocket:
    """The MediaSocket port in memory (what the caller's side receives), for the real
    ``TwilioCallerLine`` over it."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> str | bytes | None:
        return None

    async def send_text(self, data: str) -> None:
        self.sent.append(orjson.loads(data))

    def deliver_inline(self, sink: Any) -> bool:
        return False

    def can_send_now(self) -> bool:
        return True

    def send_now(self, texts: Sequence[str]) -> bool:
        self.sent.extend(orjson.loads(text) for text in texts)
        return True

    async def close(self, code: int, reason: str = "") -> None:
        return None

    def media(self) -> list[str]:
        return [m["media"]["payload"] for m in self.sent if m["event"] == "media"]


def caller_line() -> tuple[TwilioCallerLine, MemoryMediaSocket]:
    socket_ = MemoryMediaSocket()
    line = TwilioCallerLine(socket_, StreamProgress())
    line.open("MZ" + uuid.uuid4().hex)
    return line, socket_
