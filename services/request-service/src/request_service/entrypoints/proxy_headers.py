"""Which headers the gateway passes on, each way, when it forwards a request.

End-to-end headers travel unchanged, ``Authorization`` (the user's bearer token, which
every upstream verifies itself), ``X-API-Key`` and ``Idempotency-Key`` among them.
Hop-by-hop headers describe one connection, so they stop here (RFC 9110 §7.6.1):
``Connection`` and every field it names, ``Proxy-Connection``, ``Keep-Alive``, ``TE``,
``Transfer-Encoding``, ``Upgrade``, and the proxy credentials, which are meant for the
proxy itself. The gateway then says who asked (``X-Forwarded-For/Proto/Host``) and which
request this is (``X-Correlation-Id``, the platform middleware's id, so one id is
logged by both services).
"""

from __future__ import annotations

from collections.abc import Iterable

Headers = list[tuple[bytes, bytes]]

HOP_BY_HOP = frozenset({
    b"connection", b"proxy-connection", b"keep-alive", b"te", b"transfer-encoding",
    b"upgrade", b"trailer", b"proxy-authorization", b"proxy-authenticate",
})
CORRELATION = b"x-correlation-id"
# Replaced by the gateway's own: the upstream's Host is its URL's; an Expect is the
# gateway's business with its client (the body is streamed on regardless).
_REPLACED_ON_REQUEST = frozenset({
    b"host", b"expect", b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host",
    CORRELATION,
})
# The gateway's server writes its own Date and Server, and the platform middleware its
# own X-Correlation-Id (the same id): the upstream's would be duplicates.
_REPLACED_ON_RESPONSE = frozenset({b"date", b"server", CORRELATION})


def _connection_options(headers: Iterable[tuple[bytes, bytes]]) -> set[bytes]:
    """The field names a ``Connection`` header lists: hop-by-hop as well."""
    named: set[bytes] = set()
    for name, value in headers:
        if name.lower() == b"connection":
            named.update(part.strip().lower() for part in value.split(b",") if part.strip())
    return named


def _end_to_end(headers: Iterable[tuple[bytes, bytes]],
                also_dropped: frozenset[bytes]) -> Headers:
    listed = list(headers)
    dropped = HOP_BY_HOP | also_dropped | _connection_options(listed)
    return [(name.lower(), value) for name, value in listed if name.lower() not in dropped]


def upstream_request_headers(
    headers: Iterable[tuple[bytes, bytes]], *, client_host: str | None, scheme: str,
    correlation_id: str,
) -> Headers:
    """The headers to send upstream for a request that arrived with ``headers``."""
    received = list(headers)
    names = {name.lower() for name, _ in received}
    kept = _end_to_end(received, _REPLACED_ON_REQUEST)
    if b"transfer-encoding" in names:
        # A chunked body has no length of its own: a Content-Length beside it is false
        # (RFC 9112 §6.3), and the gateway re-chunks the body anyway.
        kept = [(name, value) for name, value in kept if name != b"content-length"]
    chain = b", ".join(value for name, value in received if name.lower() == b"x-forwarded-for")
    last = chain.rsplit(b",", 1)[-1].strip()
    # uvicorn takes the client from this very chain when the peer is a trusted proxy
    # (FORWARDED_ALLOW_IPS): then the client is already its last entry.
    if client_host and client_host.encode() != last:
        chain = chain + b", " + client_host.encode() if chain else client_host.encode()
    host = next((value for name, value in received if name.lower() == b"host"), None)
    forwarded: Headers = [(b"x-forwarded-proto", scheme.encode())]
    if chain:
        forwarded.append((b"x-forwarded-for", chain))
    if host:
        forwarded.append((b"x-forwarded-host", host))
    return [*kept, *forwarded, (CORRELATION, correlation_id.encode("latin-1"))]


def downstream_response_headers(headers: Iterable[tuple[bytes, bytes]]) -> Headers:
    """The headers of an upstream's response to pass back to the client."""
    return _end_to_end(headers, _REPLACED_ON_RESPONSE)


def has_body(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether a request declares a body (a length above 0, or a transfer coding)."""
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"transfer-encoding" or (lowered == b"content-length"
                                               and value.strip() not in (b"", b"0")):
            return True
    return False
