"""The TwiML call-orchestrator answers Twilio with, built with the SDK's ``VoiceResponse``
(which escapes every value, so a parameter can never break out of its attribute)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from twilio.twiml.voice_response import Connect, VoiceResponse


@dataclass(frozen=True)
class Greeting:
    """What the caller hears before the stream connects (``<Say>``)."""

    text: str
    voice: str
    language: str


def stream_twiml(
    stream_url: str, parameters: Mapping[str, str], greeting: Greeting | None = None
) -> str:
    """``<Response>[<Say/>]<Connect><Stream url><Parameter .../></Stream></Connect></Response>``.

    ``<Connect>`` (not ``<Start>``) makes the stream bidirectional, so the agent's
    audio can be played back over the same websocket. Twilio does not pass a query
    string on to the websocket, so anything the stream needs rides in ``<Parameter>``s
    (they come back in the ``start`` message's ``customParameters``).
    """
    response = VoiceResponse()
    if greeting is not None:
        response.say(greeting.text, voice=greeting.voice, language=greeting.language)
    connect = Connect()
    stream = connect.stream(url=stream_url)
    for name, value in parameters.items():
        stream.parameter(name=name, value=value)
    response.append(connect)
    return str(response)


def hangup_twiml() -> str:
    """``<Response><Hangup/></Response>``: end the call without a word."""
    response = VoiceResponse()
    response.hangup()
    return str(response)
