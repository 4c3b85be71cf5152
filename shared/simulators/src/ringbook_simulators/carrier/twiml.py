"""Reading the TwiML handed to the SIMULATED carrier's ``calls.create``.

Only the part the simulator acts on is extracted: ``<Connect><Stream url="...">`` and
its ``<Parameter name="..." value="..."/>`` children, which become the Media Streams
``start.customParameters``. Any other verb is ignored, like a callee that hears
nothing interesting.

``defusedxml`` is not available, so documents declaring a DOCTYPE or ENTITY are
refused up front: ElementTree would otherwise expand internal entities (the
"billion laughs" attack). The TwiML comes from our own services, but the simulator
listens on a socket, so it is cheap to be strict.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

_FORBIDDEN_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_MAX_TWIML_CHARS = 64_000  # Twilio's own limit for the Twiml parameter is 4,000.


class TwimlError(ValueError):
    """The TwiML could not be parsed (Twilio reports such documents as error 12100)."""


@dataclass(frozen=True)
class StreamInstruction:
    """Where to open the Media Streams websocket and what to put in ``start``."""

    url: str
    parameters: dict[str, str] = field(default_factory=dict)


def _local_name(tag: str) -> str:
    # Tolerate namespaced documents: "{ns}Stream" -> "Stream".
    return tag.rsplit("}", 1)[-1]


def parse_twiml(twiml: str) -> ET.Element:
    """Parse a TwiML document and return its ``<Response>`` root element."""
    if len(twiml) > _MAX_TWIML_CHARS:
        raise TwimlError("TwiML document is too large")
    if _FORBIDDEN_DECLARATION.search(twiml):
        raise TwimlError("TwiML must not declare a DOCTYPE or ENTITY")
    try:
        # Safe only because DOCTYPE/ENTITY declarations were rejected above.
        root = ET.fromstring(twiml)
    except ET.ParseError as exc:
        raise TwimlError(f"TwiML is not well-formed XML: {exc}") from exc
    if _local_name(root.tag) != "Response":
        raise TwimlError("TwiML root element must be <Response>")
    return root


def extract_stream(twiml: str) -> StreamInstruction | None:
    """The first ``<Connect><Stream>`` of the document, or None if it has none."""
    root = parse_twiml(twiml)
    for connect in root:
        if _local_name(connect.tag) != "Connect":
            continue
        for stream in connect:
            if _local_name(stream.tag) != "Stream":
                continue
            url = (stream.get("url") or "").strip()
            if not url.startswith(("ws://", "wss://")):
                raise TwimlError("<Stream url> must be a ws:// or wss:// URL")
            parameters: dict[str, str] = {}
            for parameter in stream:
                if _local_name(parameter.tag) != "Parameter":
                    continue
                name = parameter.get("name")
                if not name:
                    raise TwimlError("<Parameter> needs a name attribute")
                parameters[name] = parameter.get("value", "")
            return StreamInstruction(url=url, parameters=parameters)
    return None
