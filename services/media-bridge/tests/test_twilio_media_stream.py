"""The Twilio Media Streams parser and builders: every message type, malformed input,
and interop with the simulated carrier's frames (built from Twilio's documentation)."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest
from media_bridge.adapters.twilio_media_stream import (
    MAX_FRAME_BYTES,
    Connected,
    Dtmf,
    Mark,
    Media,
    MediaFormat,
    ProtocolError,
    Start,
    Stop,
    base64_audio_ms,
    clear_message,
    is_base64,
    mark_message,
    media_message,
    parse_twilio_message,
)
from ringbook_simulators.carrier import media_stream_client as sim

SID = "MZ00000000000000000000000000000001"
CALL = "CA00000000000000000000000000000001"
ACCOUNT = "AC00000000000000000000000000000001"
AUDIO = b"\xff" * 160
AUDIO_B64 = base64.b64encode(AUDIO).decode()


def raw(body: dict[str, Any]) -> str:
    return orjson.dumps(body).decode()


def start_body() -> dict[str, Any]:
    return {
        "event": "start",
        "sequenceNumber": "1",
        "start": {
            "accountSid": ACCOUNT,
            "streamSid": SID,
            "callSid": CALL,
            "tracks": ["inbound"],
            "customParameters": {"request_id": "r-1"},
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        },
        "streamSid": SID,
    }


def test_connected() -> None:
    assert parse_twilio_message(
        raw({"event": "connected", "protocol": "Call", "version": "1.0.0"})
    ) == Connected(protocol="Call", version="1.0.0")


def test_start() -> None:
    message = parse_twilio_message(raw(start_body()))
    assert message == Start(
        sequence_number=1,
        stream_sid=SID,
        account_sid=ACCOUNT,
        call_sid=CALL,
        tracks=("inbound",),
        custom_parameters={"request_id": "r-1"},
        media_format=MediaFormat(encoding="audio/x-mulaw", sample_rate=8000, channels=1),
    )
    assert isinstance(message, Start)
    with pytest.raises(TypeError):  # read-only: a session cannot alter what Twilio sent
        message.custom_parameters["x"] = "y"  # type: ignore[index]


def test_start_without_custom_parameters_has_none() -> None:
    body = start_body()
    del body["start"]["customParameters"]
    message = parse_twilio_message(raw(body))
    assert isinstance(message, Start) and dict(message.custom_parameters) == {}


def test_media_mark_dtmf_stop_as_bytes_or_text() -> None:
    media = sim.media_message(
        sequence_number=2, stream_sid=SID, chunk=1, timestamp_ms=0, payload=AUDIO
    )
    assert parse_twilio_message(orjson.dumps(media)) == Media(
        sequence_number=2, stream_sid=SID, track="inbound", chunk=1, timestamp_ms=0, payload=AUDIO_B64
    )
    mark = sim.mark_message(sequence_number=3, stream_sid=SID, name="greeting")
    assert parse_twilio_message(raw(mark)) == Mark(3, SID, "greeting")
    dtmf = sim.dtmf_message(sequence_number=4, stream_sid=SID, digit="7")
    assert parse_twilio_message(raw(dtmf)) == Dtmf(4, SID, "inbound_track", "7")
    stop = sim.stop_message(sequence_number=5, stream_sid=SID, account_sid=ACCOUNT, call_sid=CALL)
    assert parse_twilio_message(raw(stop)) == Stop(5, SID, ACCOUNT, CALL)


def test_simulated_carrier_frames_parse() -> None:
    assert isinstance(parse_twilio_message(raw(sim.connected_message())), Connected)
    start = sim.start_message(
        sequence_number=1, stream_sid=SID, account_sid=ACCOUNT, call_sid=CALL,
        custom_parameters={"request_id": "r-9"},
    )
    message = parse_twilio_message(raw(start))
    assert isinstance(message, Start) and message.custom_parameters == {"request_id": "r-9"}


def test_numbers_may_be_integers() -> None:
    body = {"event": "mark", "sequenceNumber": 9, "streamSid": SID, "mark": {"name": "m"}}
    assert parse_twilio_message(raw(body)) == Mark(9, SID, "m")


@pytest.mark.parametrize(
    ("frame", "problem"),
    [
        ("{not json", "not JSON"),
        ("", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('"media"', "not a JSON object"),
        ("{}", "no string 'event'"),
        ('{"event": 5}', "no string 'event'"),
        ('{"event": "bogus"}', "unknown event 'bogus'"),
        ('{"event": "connected", "protocol": "Call"}', "version"),
        ('{"event": "mark", "sequenceNumber": "1", "streamSid": "MZ1"}', "mark must be an object"),
        ('{"event": "mark", "sequenceNumber": "1", "mark": {"name": "m"}}', "streamSid"),
        ('{"event": "mark", "sequenceNumber": "x", "streamSid": "MZ1", "mark": {"name": "m"}}',
         "sequenceNumber"),
        ('{"event": "mark", "sequenceNumber": -1, "streamSid": "MZ1", "mark": {"name": "m"}}',
         "sequenceNumber"),
        ('{"event": "mark", "sequenceNumber": true, "streamSid": "MZ1", "mark": {"name": "m"}}',
         "sequenceNumber"),
        ('{"event": "mark", "sequenceNumber": "1", "streamSid": "MZ1", "mark": {"name": ""}}',
         "mark.name"),
        ('{"event": "dtmf", "sequenceNumber": "1", "streamSid": "MZ1", "dtmf": {"digit": "1"}}',
         "dtmf.track"),
        ('{"event": "stop", "sequenceNumber": "1", "streamSid": "MZ1", "stop": {}}',
         "stop.accountSid"),
    ],
)
def test_malformed_frames_raise_a_clear_protocol_error(frame: str, problem: str) -> None:
    with pytest.raises(ProtocolError, match=problem.replace("'", ".")):
        parse_twilio_message(frame)


def media_with(**media: Any) -> str:
    body = sim.media_message(sequence_number=2, stream_sid=SID, chunk=1, timestamp_ms=0,
                             payload=AUDIO)
    body["media"].update(media)
    return raw(body)


@pytest.mark.parametrize(
    ("frame", "problem"),
    [
        (media_with(payload="not base64!"), "media.payload is not valid base64"),
        (media_with(payload=None), "media.payload must be a base64 string"),
        (media_with(chunk="1.5"), "media.chunk"),
        (media_with(timestamp=None), "media.timestamp"),
        (media_with(track=""), "media.track"),
    ],
)
def test_malformed_media(frame: str, problem: str) -> None:
    with pytest.raises(ProtocolError, match=problem):
        parse_twilio_message(frame)


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda b: b["start"].pop("callSid"), "start.callSid"),
        (lambda b: b["start"].pop("accountSid"), "start.accountSid"),
        (lambda b: b["start"].update(tracks="inbound"), "start.tracks"),
        (lambda b: b["start"].update(customParameters={"a": 1}), "start.customParameters"),
        (lambda b: b["start"].pop("mediaFormat"), "start.mediaFormat"),
        (lambda b: b["start"]["mediaFormat"].pop("sampleRate"), "start.mediaFormat.sampleRate"),
        (lambda b: b.update(streamSid="MZother"), "differ"),
        (lambda b: b.pop("start"), "start must be an object"),
    ],
)
def test_malformed_start(edit: Any, problem: str) -> None:
    body = start_body()
    edit(body)
    with pytest.raises(ProtocolError, match=problem):
        parse_twilio_message(raw(body))


def test_oversized_frames_are_refused_before_parsing() -> None:
    with pytest.raises(ProtocolError, match="exceeds"):
        parse_twilio_message(b" " * (MAX_FRAME_BYTES + 1))


def test_builders_speak_twilios_outbound_format() -> None:
    assert orjson.loads(media_message(SID, AUDIO_B64)) == {
        "event": "media",
        "streamSid": SID,
        "media": {"payload": AUDIO_B64},
    }
    assert orjson.loads(mark_message(SID, "end-of-greeting")) == {
        "event": "mark",
        "streamSid": SID,
        "mark": {"name": "end-of-greeting"},
    }
    assert orjson.loads(clear_message(SID)) == {"event": "clear", "streamSid": SID}


def test_base64_is_checked_strictly_and_measured_without_decoding() -> None:
    for size in (0, 1, 2, 3, 160, 161, 162):
        text = base64.b64encode(b"\x00" * size).decode()
        assert is_base64(text)
        assert base64_audio_ms(text) == size // 8
    for bad in ("abc", "a===", "ab=c", "not base64!", "////=///", "ab\ncd==", "ab cd===",
                "a-b_", "ÄÄÄÄ", "QUJD\x00"):
        assert not is_base64(bad)
