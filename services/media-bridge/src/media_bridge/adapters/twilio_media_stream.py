"""Twilio Media Streams over a websocket: the messages, their parser and our replies.

Twilio sends JSON text frames, each with an ``event`` discriminator:

* ``connected`` (``protocol``, ``version``), first, without a sequence number;
* ``start`` once: ``start.{streamSid, accountSid, callSid, tracks, customParameters,
  mediaFormat{encoding, sampleRate, channels}}``;
* ``media``: ``media.{track, chunk, timestamp, payload}``, the payload base64 G.711
  mu-law at 8 kHz (20 ms = 160 bytes per frame). The payload stays the base64 string
  Twilio sent: the bridge forwards it to the model as-is (the model takes base64
  ``audio/pcmu`` too), so no frame is ever decoded and re-encoded;
* ``mark`` (``mark.name``) when audio we queued before that mark has played;
* ``dtmf`` (``dtmf.{track, digit}``) when the caller presses a key;
* ``stop`` (``stop.{accountSid, callSid}``) last.

Every message but ``connected`` carries ``sequenceNumber`` (a decimal string) and
``streamSid``. On a bidirectional stream we may send ``media`` (audio to play),
``mark`` (tell me when playback reaches here) and ``clear`` (drop queued audio).

Everything that is not exactly this raises :class:`ProtocolError`, whose message says
what was wrong; the caller decides whether that ends the call.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import orjson

# Twilio's frames are a few hundred bytes (a 20 ms media frame is ~300); a start with
# many custom parameters stays far below this. Bigger is not Twilio: refuse before parsing.
MAX_FRAME_BYTES = 64 * 1024


def is_base64(text: str) -> bool:
    """Standard padded base64 (RFC 4648 alphabet, no whitespace, no junk).

    Checked by the C decoder in strict mode into a buffer that is thrown away (~0.3 µs
    a frame against ~4 µs for a regular expression); the string itself is what gets
    forwarded, never a re-encoding."""
    if not text.isascii():
        return False
    try:
        binascii.a2b_base64(text, strict_mode=True)
    except binascii.Error:
        return False
    return True


def base64_audio_ms(payload: str, bytes_per_ms: int = 8) -> int:
    """Milliseconds of 8 kHz mu-law in a base64 string, counted without decoding."""
    padding = 2 if payload.endswith("==") else 1 if payload.endswith("=") else 0
    size = len(payload) * 3 // 4 - padding
    return size // bytes_per_ms


class ProtocolError(ValueError):
    """A frame that is not a well-formed Twilio Media Streams message."""


@dataclass(frozen=True)
class MediaFormat:
    encoding: str
    sample_rate: int
    channels: int


@dataclass(frozen=True)
class Connected:
    protocol: str
    version: str


@dataclass(frozen=True)
class Start:
    sequence_number: int
    stream_sid: str
    account_sid: str
    call_sid: str
    tracks: tuple[str, ...]
    custom_parameters: Mapping[str, str]
    media_format: MediaFormat


@dataclass(slots=True)  # not frozen: 50 a second per call, and frozen __init__ is slow
class Media:
    sequence_number: int
    stream_sid: str
    track: str
    chunk: int
    timestamp_ms: int
    payload: str  # mu-law audio, base64 exactly as Twilio sent it


@dataclass(frozen=True)
class Mark:
    sequence_number: int
    stream_sid: str
    name: str


@dataclass(frozen=True)
class Dtmf:
    sequence_number: int
    stream_sid: str
    track: str
    digit: str


@dataclass(frozen=True)
class Stop:
    sequence_number: int
    stream_sid: str
    account_sid: str
    call_sid: str


TwilioMessage = Connected | Start | Media | Mark | Dtmf | Stop


# --- parsing ---------------------------------------------------------------------------------


def _object(container: Mapping[str, Any], key: str, path: str = "") -> Mapping[str, Any]:
    value = container.get(key)
    if not isinstance(value, dict):
        raise ProtocolError(f"{path}{key} must be an object")
    return value


def _str(container: Mapping[str, Any], key: str, path: str = "") -> str:
    value = container.get(key)
    if not isinstance(value, str) or not value:
        raise ProtocolError(f"{path}{key} must be a non-empty string")
    return value


def _int(container: Mapping[str, Any], key: str, path: str = "") -> int:
    """Twilio sends numbers as decimal strings ("42"); plain integers are accepted too."""
    value = container.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit():
        number = int(value)
    else:
        raise ProtocolError(f"{path}{key} must be a non-negative integer")
    if number < 0:
        raise ProtocolError(f"{path}{key} must be a non-negative integer")
    return number


def _stream_sid(body: Mapping[str, Any]) -> str:
    return _str(body, "streamSid")


def _parse_start(body: Mapping[str, Any]) -> Start:
    start = _object(body, "start")
    stream_sid = _str(start, "streamSid", "start.")
    if "streamSid" in body and body["streamSid"] != stream_sid:
        raise ProtocolError("streamSid and start.streamSid differ")
    tracks = start.get("tracks")
    if not isinstance(tracks, list) or not all(isinstance(t, str) for t in tracks):
        raise ProtocolError("start.tracks must be a list of strings")
    # Twilio always sends customParameters (``{}`` when the TwiML has no <Parameter>);
    # tolerating its absence costs nothing.
    params = start.get("customParameters", {})
    if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
        raise ProtocolError("start.customParameters must map names to strings")
    fmt = _object(start, "mediaFormat", "start.")
    return Start(
        sequence_number=_int(body, "sequenceNumber"),
        stream_sid=stream_sid,
        account_sid=_str(start, "accountSid", "start."),
        call_sid=_str(start, "callSid", "start."),
        tracks=tuple(tracks),
        custom_parameters=MappingProxyType(dict(params)),
        media_format=MediaFormat(
            encoding=_str(fmt, "encoding", "start.mediaFormat."),
            sample_rate=_int(fmt, "sampleRate", "start.mediaFormat."),
            channels=_int(fmt, "channels", "start.mediaFormat."),
        ),
    )


def _parse_media(body: Mapping[str, Any]) -> Media:
    """Twilio's own shape (decimal strings, non-empty sids) checked in one pass: 50 a
    second per call, and the general path took ~3 µs of a frame's ~20. Anything else
    takes :func:`_parse_media_checked`, which accepts the same and says what is wrong."""
    media = body.get("media")
    if type(media) is dict:
        seq, sid = body.get("sequenceNumber"), body.get("streamSid")
        track, payload = media.get("track"), media.get("payload")
        chunk, stamp = media.get("chunk"), media.get("timestamp")
        if (
            type(seq) is str and type(chunk) is str and type(stamp) is str
            and seq and chunk and stamp
            and (digits := seq + chunk + stamp).isascii() and digits.isdigit()
            and type(sid) is str and sid and type(track) is str and track
            and type(payload) is str and is_base64(payload)
        ):
            return Media(int(seq), sid, track, int(chunk), int(stamp), payload)
    return _parse_media_checked(body)


def _parse_media_checked(body: Mapping[str, Any]) -> Media:
    media = _object(body, "media")
    payload = media.get("payload")
    if not isinstance(payload, str):
        raise ProtocolError("media.payload must be a base64 string")
    # Checked by shape, not decoded: the string is forwarded unchanged.
    if not is_base64(payload):
        raise ProtocolError("media.payload is not valid base64")
    return Media(
        sequence_number=_int(body, "sequenceNumber"),
        stream_sid=_stream_sid(body),
        track=_str(media, "track", "media."),
        chunk=_int(media, "chunk", "media."),
        timestamp_ms=_int(media, "timestamp", "media."),
        payload=payload,
    )


def _parse_mark(body: Mapping[str, Any]) -> Mark:
    mark = _object(body, "mark")
    return Mark(_int(body, "sequenceNumber"), _stream_sid(body), _str(mark, "name", "mark."))


def _parse_dtmf(body: Mapping[str, Any]) -> Dtmf:
    dtmf = _object(body, "dtmf")
    return Dtmf(
        sequence_number=_int(body, "sequenceNumber"),
        stream_sid=_stream_sid(body),
        track=_str(dtmf, "track", "dtmf."),
        digit=_str(dtmf, "digit", "dtmf."),
    )


def _parse_stop(body: Mapping[str, Any]) -> Stop:
    stop = _object(body, "stop")
    return Stop(
        sequence_number=_int(body, "sequenceNumber"),
        stream_sid=_stream_sid(body),
        account_sid=_str(stop, "accountSid", "stop."),
        call_sid=_str(stop, "callSid", "stop."),
    )


def _parse_connected(body: Mapping[str, Any]) -> Connected:
    return Connected(protocol=_str(body, "protocol"), version=_str(body, "version"))


_PARSERS: dict[str, Callable[[Mapping[str, Any]], TwilioMessage]] = {
    "connected": _parse_connected,
    "start": _parse_start,
    "media": _parse_media,
    "mark": _parse_mark,
    "dtmf": _parse_dtmf,
    "stop": _parse_stop,
}


def parse_twilio_message(raw: str | bytes) -> TwilioMessage:
    """Decode one websocket frame, or raise ProtocolError saying what is wrong with it."""
    # A str's UTF-8 size is at least its length: the exact size is only worth
    # encoding for when the length alone does not decide (never, for Twilio's frames).
    size = len(raw)
    if isinstance(raw, str) and size * 4 > MAX_FRAME_BYTES:
        size = len(raw.encode())
    if size > MAX_FRAME_BYTES:
        raise ProtocolError(f"frame of {size} bytes exceeds {MAX_FRAME_BYTES}")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ProtocolError(f"frame is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ProtocolError("frame is not a JSON object")
    event = body.get("event")
    if not isinstance(event, str):
        raise ProtocolError("frame has no string 'event'")
    parser = _PARSERS.get(event)
    if parser is None:
        raise ProtocolError(f"unknown event {event[:40]!r}")
    return parser(body)


# --- what we send ----------------------------------------------------------------------------


def media_message(stream_sid: str, payload: str) -> str:
    """Audio for Twilio to play to the caller: ``payload`` is base64 mu-law 8 kHz (like
    what it sends us), passed through exactly as given."""
    return orjson.dumps(
        {"event": "media", "streamSid": stream_sid, "media": {"payload": payload}}
    ).decode()


def mark_message(stream_sid: str, name: str) -> str:
    """Ask Twilio to echo ``name`` back once the audio sent before it has played."""
    return orjson.dumps({"event": "mark", "streamSid": stream_sid, "mark": {"name": name}}).decode()


def clear_message(stream_sid: str) -> str:
    """Drop the audio Twilio has queued (the caller interrupted: barge-in)."""
    return orjson.dumps({"event": "clear", "streamSid": stream_sid}).decode()
