"""The one-pass media parser agrees with the general one on every input: the same
``Media`` for what both accept, and for everything else the general path's
``ProtocolError`` (the fast one only ever answers what it has fully checked)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from media_bridge.adapters.twilio_media_stream import (
    Media,
    ProtocolError,
    _parse_media,
    _parse_media_checked,
)

PAYLOAD = base64.b64encode(b"\xff" * 160).decode()
numbers = st.one_of(
    st.integers(min_value=-3, max_value=10**6).map(str), st.integers(-3, 10**6),
    st.sampled_from(["", " 1", "+1", "1_0", "²", "١٢", "0x1", "007", True, None, 1.5]),
)
strings = st.one_of(st.sampled_from(["", "inbound", "MZ" + "0" * 32]), st.text(max_size=8),
                    st.none(), st.integers())
payloads = st.one_of(st.just(PAYLOAD), st.sampled_from(["", "YQ==", "YQ=", "Y Q==", "é==="]),
                     st.text(max_size=12), st.none())


def _outcome(parse: Any, body: dict[str, Any]) -> Media | str:
    try:
        result: Media = parse(body)
    except ProtocolError as exc:
        return f"error: {exc}"
    return result


@given(seq=numbers, chunk=numbers, stamp=numbers, sid=strings, track=strings,
       payload=payloads, media_is_dict=st.booleans())
def test_the_fast_parser_answers_as_the_general_one(
    *, seq: Any, chunk: Any, stamp: Any, sid: Any, track: Any, payload: Any,
    media_is_dict: bool,
) -> None:
    media: Any = {"track": track, "chunk": chunk, "timestamp": stamp, "payload": payload}
    body = {"event": "media", "sequenceNumber": seq, "streamSid": sid,
            "media": media if media_is_dict else [media]}
    assert _outcome(_parse_media, body) == _outcome(_parse_media_checked, body)


@pytest.mark.parametrize("missing", ["sequenceNumber", "streamSid"])
def test_a_missing_field_is_the_general_parsers_error(missing: str) -> None:
    body: dict[str, Any] = {"event": "media", "sequenceNumber": "2", "streamSid": "MZ1",
                            "media": {"track": "inbound", "chunk": "1", "timestamp": "20",
                                      "payload": PAYLOAD}}
    assert _parse_media(body) == Media(2, "MZ1", "inbound", 1, 20, PAYLOAD)
    del body[missing]
    with pytest.raises(ProtocolError, match=missing):
        _parse_media(body)
