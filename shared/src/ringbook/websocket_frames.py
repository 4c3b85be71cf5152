"""Small, unfragmented text frames read and written without ``websockets``' Python framing.

``websockets``' sans-I/O protocol parses each frame with a chain of generators
(``Protocol.parse`` -> ``Frame.parse`` -> ``StreamReader.read_exact``, a ``Frame`` object,
``Frame.check``) and writes each through ``Frame.serialize`` (a ``BytesIO``, ``struct``,
and for a client a ``getrandom`` system call for the mask). For the media path's frames
(a few hundred bytes, 50 a second per call each way) that was about a third of
media-bridge's CPU. These functions do the same work for exactly one shape of frame:
FIN set, opcode text, no RSV bits, a 7- or 16-bit length, masked if and only if the
sender is a client. Anything else is left to the protocol, which stays the owner of the
connection (handshake, pings, closes, errors, fragmentation, extensions).

Reading: :func:`at_frame_boundary` says when the protocol holds no partial frame (its
parser is waiting for a new frame's first byte, nothing buffered); only then may bytes
be taken before it sees them, and only whole frames (:func:`next_text_frame`), so the
protocol's next byte is always a frame's first. Writing: :func:`can_write_frames` says
when bytes may go to the transport directly without overtaking anything the protocol
has queued; :func:`text_frame` builds them.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable

from websockets.protocol import Protocol, State
from websockets.streams import StreamReader

try:  # the C version (websockets.speedups), as websockets itself uses
    from websockets.speedups import apply_mask as _apply_mask
except ImportError:  # pragma: no cover - a websockets built without its speedups
    from websockets.utils import apply_mask as _apply_mask

apply_mask: Callable[[bytes, bytes], bytes] = _apply_mask

FIN_TEXT = 0x81  # FIN + opcode 1, RSV bits clear
MASK_BIT = 0x80
_LENGTH16 = struct.Struct("!BBH")
_AT_EOF = StreamReader.at_eof.__code__
# Masks are drawn from the OS's CSPRNG, as websockets' own are (RFC 6455 10.3 wants them
# unpredictable), but 1,024 at a time instead of one system call per frame.
_MASK_POOL_BYTES = 4096


class MaskSource:
    """4-byte frame masks from ``os.urandom``, one refill per 1,024 masks."""

    def __init__(self) -> None:
        self._pool = b""
        self._next = 0

    def mask(self) -> bytes:
        start = self._next
        if start >= len(self._pool):
            self._pool, start = os.urandom(_MASK_POOL_BYTES), 0
        self._next = start + 4
        return self._pool[start : start + 4]


def text_frame(data: bytes, mask: bytes | None = None) -> bytes:
    """One FIN text frame carrying ``data`` (UTF-8), masked with ``mask`` (a client's)."""
    length = len(data)
    mask_bit = MASK_BIT if mask is not None else 0
    if length < 126:
        head = bytes((FIN_TEXT, mask_bit | length))
    elif length < 65536:
        head = _LENGTH16.pack(FIN_TEXT, mask_bit | 126, length)
    else:
        head = struct.pack("!BBQ", FIN_TEXT, mask_bit | 127, length)
    if mask is None:
        return head + data
    return head + mask + apply_mask(data, mask)


def next_text_frame(
    data: bytes, pos: int, *, masked: bool, max_size: int | None
) -> tuple[bytes, int] | None:
    """The payload of the simple text frame starting at ``data[pos]`` and where the next
    frame starts; None if the bytes there are not one whole such frame (then they are the
    protocol's to read: it reports a bad frame as it always does)."""
    end = len(data)
    if end - pos < 2 or data[pos] != FIN_TEXT:
        return None
    second = data[pos + 1]
    if bool(second & MASK_BIT) is not masked:
        return None
    length, start = second & 0x7F, pos + 2
    if length == 126:
        if end - start < 2:
            return None
        length, start = (data[start] << 8) | data[start + 1], start + 2
    elif length == 127:
        return None  # > 64 KiB: never a media frame
    if max_size is not None and length > max_size:
        return None
    if masked:
        stop = start + 4 + length
        if stop > end:
            return None
        return apply_mask(data[start + 4 : stop], data[start : start + 4]), stop
    stop = start + length
    if stop > end:
        return None
    return data[start:stop], stop


def at_frame_boundary(protocol: Protocol) -> bool:
    """True if ``protocol`` is open, has nothing buffered, is not inside a fragmented
    message and its parser waits for the first byte of a frame (the innermost generator
    it is suspended in is ``StreamReader.at_eof``: between frames, never inside one)."""
    if (
        protocol.state is not State.OPEN
        or protocol.reader.buffer
        or protocol.current_size is not None
        or protocol.parser_exc is not None
        or protocol.extensions
    ):
        return False
    gen = protocol.parser
    while True:
        inner = getattr(gen, "gi_yieldfrom", None)
        if inner is None:
            break
        gen = inner
    return getattr(gen, "gi_code", None) is _AT_EOF


def can_write_frames(protocol: Protocol) -> bool:
    """True if frames written straight to the transport go out in order: the protocol is
    open, has no frames of its own waiting to be written, is not sending a fragmented
    message and uses no extension (permessage-deflate would have to transform them)."""
    return (
        protocol.state is State.OPEN
        and not protocol.writes
        and not protocol.expect_continuation_frame
        and not protocol.extensions
    )
