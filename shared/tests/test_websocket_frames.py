""":mod:`ringbook.websocket_frames` against ``websockets``' own framing: what we write
it reads back, what it writes we cut exactly, anything else is left to it, and the
boundary check says "between frames" only when the protocol holds no partial frame."""

from __future__ import annotations

import pytest
from ringbook.websocket_frames import (
    MaskSource,
    at_frame_boundary,
    can_write_frames,
    next_text_frame,
    text_frame,
)
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.server import ServerProtocol
from websockets.uri import parse_uri

SIZES = [0, 1, 125, 126, 300, 65535]


def _server() -> ServerProtocol:
    return ServerProtocol(state=State.OPEN, max_size=2**20)


def _client() -> ClientProtocol:
    return ClientProtocol(parse_uri("ws://x/"), state=State.OPEN, max_size=2**20)


def _texts(protocol: ServerProtocol | ClientProtocol) -> list[bytes]:
    return [bytes(e.data) for e in protocol.events_received()
            if isinstance(e, Frame) and e.opcode is Opcode.TEXT]


@pytest.mark.parametrize("size", SIZES)
def test_our_frames_are_read_back_by_websockets(size: int) -> None:
    data = bytes(range(97, 123)) * (size // 26) + b"a" * (size % 26)
    server, client = _server(), _client()
    server.receive_data(text_frame(data, MaskSource().mask()))  # a client's, masked
    client.receive_data(text_frame(data))  # a server's, plain
    assert _texts(server) == [data] and server.parser_exc is None
    assert _texts(client) == [data] and client.parser_exc is None


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("masked", [True, False])
def test_websockets_frames_are_cut_exactly_and_partial_ones_left(size: int, masked: bool) -> None:
    data = b"x" * size
    one = Frame(Opcode.TEXT, data).serialize(mask=masked, extensions=[])
    two = one + Frame(Opcode.TEXT, b"next").serialize(mask=masked, extensions=[])
    assert next_text_frame(two, 0, masked=masked, max_size=None) == (data, len(one))
    assert next_text_frame(two, len(one), masked=masked, max_size=None) == (b"next", len(two))
    for cut in range(len(one)):
        assert next_text_frame(one[:cut], 0, masked=masked, max_size=None) is None


@pytest.mark.parametrize(
    "frame",
    [
        Frame(Opcode.PING, b"p"),
        Frame(Opcode.BINARY, b"b"),
        Frame(Opcode.CLOSE, b"\x03\xe8"),
        Frame(Opcode.TEXT, b"part", fin=False),
        Frame(Opcode.TEXT, b"y" * 70000),  # a 64-bit length
    ],
    ids=["ping", "binary", "close", "fragment", "huge"],
)
def test_anything_but_a_simple_text_frame_is_left_to_the_protocol(frame: Frame) -> None:
    raw = frame.serialize(mask=True, extensions=[])
    assert next_text_frame(raw, 0, masked=True, max_size=None) is None


def test_wrong_masking_reserved_bits_and_oversized_frames_are_left_to_the_protocol() -> None:
    masked = Frame(Opcode.TEXT, b"hello").serialize(mask=True, extensions=[])
    deflated = bytes([masked[0] | 0x40]) + masked[1:]  # RSV1: permessage-deflate's
    assert next_text_frame(deflated, 0, masked=True, max_size=None) is None
    plain = Frame(Opcode.TEXT, b"hello").serialize(mask=False, extensions=[])
    assert next_text_frame(masked, 0, masked=False, max_size=None) is None
    assert next_text_frame(plain, 0, masked=True, max_size=None) is None
    assert next_text_frame(plain, 0, masked=False, max_size=4) is None
    assert next_text_frame(plain, 0, masked=False, max_size=5) == (b"hello", len(plain))


def test_the_boundary_is_only_between_whole_frames() -> None:
    server = _server()
    assert at_frame_boundary(server)
    raw = Frame(Opcode.TEXT, b"z" * 300).serialize(mask=True, extensions=[])
    for cut in (1, 2, 4, 8, 100):  # header, extended length, mask, payload
        server.receive_data(raw[:cut])
        assert not at_frame_boundary(server), cut
        server.receive_data(raw[cut:])
        assert at_frame_boundary(server)
    # Inside a fragmented message, even between its frames.
    server.receive_data(Frame(Opcode.TEXT, b"a", fin=False).serialize(mask=True, extensions=[]))
    assert not at_frame_boundary(server)
    server.receive_data(Frame(Opcode.CONT, b"b").serialize(mask=True, extensions=[]))
    assert at_frame_boundary(server)
    assert _texts(server)  # the protocol read all of it
    server.receive_data(Frame(Opcode.CLOSE, b"\x03\xe8").serialize(mask=True, extensions=[]))
    assert not at_frame_boundary(server)  # closing: nothing is taken any more


def test_direct_writes_wait_for_what_the_protocol_has_queued() -> None:
    client = _client()
    assert can_write_frames(client)
    client.send_ping(b"")
    assert not can_write_frames(client)  # its ping goes first
    client.data_to_send()
    assert can_write_frames(client)
    client.send_text(b"part", fin=False)
    client.data_to_send()
    assert not can_write_frames(client)  # a fragmented message is being sent
    client.send_continuation(b"end", fin=True)
    client.data_to_send()
    client.send_close()
    assert not can_write_frames(client)


def test_masks_are_four_random_bytes_drawn_in_bulk() -> None:
    source = MaskSource()
    masks = [source.mask() for _ in range(3000)]  # past two refills of the pool
    assert all(len(m) == 4 for m in masks)
    assert len(set(masks)) > 2900  # 2**32 values: repeats are rare
