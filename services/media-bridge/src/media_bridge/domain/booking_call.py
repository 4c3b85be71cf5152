"""What the agent is told and which tools it has, per kind of call. Pure: no I/O.

An outbound booking call is built from the request (a ``request_received`` event's data
kept in media-bridge's ``call_requests`` projection): in the callee's language (German
for +49 numbers, English otherwise), on whose behalf, what for, when, the callback
number, the address only when asked, and the line ``Number called: <E.164>`` (the
simulated model picks its script by it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any

# --- the session the model is given --------------------------------------------------------


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    parameters: dict[str, Any]

    def as_param(self) -> dict[str, Any]:
        return {
            "type": "function",
            "name": self.name,
            "description": self.description,
            "parameters": self.parameters,
        }


@dataclass(frozen=True)
class SessionSpec:
    instructions: str
    tools: tuple[ToolSpec, ...]
    # None: the service's default voice (REALTIME_VOICE) and no output limit.
    voice: str | None = None
    # None: the normal speed (1.0).
    speed: float | None = None
    max_output_tokens: int | None = None
    # Spoken by the agent before the caller says anything (see domain.assistant_session).
    first_message: str | None = None


BOOK_APPOINTMENT = "book_appointment"
REPORT_NO_AVAILABILITY = "report_no_availability"
END_CALL = "end_call"


@dataclass(frozen=True)
class CallRequest:
    """The part of a ``request_received`` the agent needs."""

    title: str
    description: str
    number_to_call: str
    callback_number: str
    preferred_time: str
    username: str | None
    address: str | None

    @property
    def german(self) -> bool:
        return is_german_number(self.number_to_call)

    @classmethod
    def from_event_data(cls, data: dict[str, Any]) -> CallRequest:
        profile = data.get("user_profile") or {}
        street = " ".join(
            str(p) for p in (profile.get("street"), profile.get("house_number")) if p
        )
        town = " ".join(str(p) for p in (profile.get("postal_code"), profile.get("city")) if p)
        address = ", ".join(p for p in (street, town, profile.get("country") or "") if p)
        return cls(
            title=str(data.get("title", "")),
            description=str(data.get("description", "")),
            number_to_call=str(data.get("number_to_call", "")),
            callback_number=str(data.get("callback_number", "")),
            preferred_time=str(data.get("preferred_time", "")),
            username=profile.get("username") or None,
            address=address or None,
        )


def is_german_number(number: str) -> bool:
    return number.startswith("+49")


def outbound_instructions(request: CallRequest) -> str:
    if request.german:
        who = request.username or "eine Kundin bzw. einen Kunden"
        lines = [
            "Du bist der digitale Telefonassistent von Ringbook und rufst eine Praxis bzw. "
            "ein Unternehmen an, um einen Termin zu vereinbaren. Sprich Deutsch, höflich, "
            "kurz und natürlich. Sag gleich zu Beginn, dass du ein digitaler Assistent bist.",
            f"Du rufst im Auftrag von {who} an.",
            f"Anliegen: {request.title}. {request.description}".strip(),
            f"Gewünschter Zeitraum: {request.preferred_time}.",
            f"Rückrufnummer der Kundin/des Kunden: {request.callback_number}.",
        ]
        if request.address:
            lines.append(f"Adresse (nur nennen, wenn danach gefragt wird): {request.address}.")
        lines += [
            "Sobald ein Termin feststeht, rufe book_appointment auf (Datum JJJJ-MM-TT, "
            "Uhrzeit HH:MM, bei wem, Notizen). Ist nichts frei, rufe report_no_availability "
            "auf. Verabschiede dich danach und rufe end_call auf.",
        ]
    else:
        who = request.username or "a customer"
        lines = [
            "You are Ringbook's digital phone assistant, calling a business to book an "
            "appointment. Speak English, politely, briefly and naturally. Say at the start "
            "that you are a digital assistant.",
            f"You are calling on behalf of {who}.",
            f"What for: {request.title}. {request.description}".strip(),
            f"Preferred time: {request.preferred_time}.",
            f"The customer's callback number: {request.callback_number}.",
        ]
        if request.address:
            lines.append(f"Address (give it only when asked): {request.address}.")
        lines += [
            "Once an appointment is agreed, call book_appointment (date YYYY-MM-DD, time "
            "HH:MM, with whom, notes). If nothing is available, call report_no_availability. "
            "Then say goodbye and call end_call.",
        ]
    lines.append(f"Number called: {request.number_to_call}")
    return "\n".join(lines)


END_CALL_TOOL = ToolSpec(
    END_CALL,
    "Hang up. Call it after saying goodbye, when the conversation is over.",
    {
        "type": "object",
        "properties": {"reason": {"type": "string", "description": "why the call ends"}},
        "required": ["reason"],
    },
)

_BOOKING_TOOLS = (
    ToolSpec(
        BOOK_APPOINTMENT,
        "Record the appointment the callee has agreed to.",
        {
            "type": "object",
            "properties": {
                "date": {"type": "string", "description": "YYYY-MM-DD"},
                "time": {"type": "string", "description": "HH:MM, 24 h, local time"},
                "with_whom": {"type": "string", "description": "practice or person"},
                "notes": {"type": "string"},
            },
            "required": ["date", "time", "with_whom"],
        },
    ),
    ToolSpec(
        REPORT_NO_AVAILABILITY,
        "Report that no suitable appointment is available.",
        {
            "type": "object",
            "properties": {
                "reason": {"type": "string"},
                "callback_requested": {
                    "type": "boolean",
                    "description": "the callee asked us to call again later",
                },
            },
            "required": ["reason", "callback_requested"],
        },
    ),
    END_CALL_TOOL,
)


def outbound_session(request: CallRequest) -> SessionSpec:
    return SessionSpec(outbound_instructions(request), _BOOKING_TOOLS)


def fallback_outbound_session(number: str | None, german: bool) -> SessionSpec:
    """The request is not (yet) in our projection: a neutral booking assistant."""
    text = (
        "Du bist der digitale Telefonassistent von Ringbook. Sprich Deutsch, höflich und "
        "kurz. Frag nach einem Termin; wenn einer feststeht, rufe book_appointment auf, "
        "sonst report_no_availability; verabschiede dich und rufe end_call auf."
        if german
        else "You are Ringbook's digital phone assistant. Be polite and brief. Ask for an "
        "appointment; once agreed call book_appointment, otherwise report_no_availability; "
        "say goodbye and call end_call."
    )
    if number:
        text += f"\nNumber called: {number}"
    return SessionSpec(text, _BOOKING_TOOLS)


def inbound_session(instructions: str) -> SessionSpec:
    return SessionSpec(instructions, (END_CALL_TOOL,))


# --- booking summaries -------------------------------------------------------------------------

_DE_DAYS = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")
_EN_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class InvalidArguments(ValueError):
    """The model's tool arguments are unusable; the message goes back to the model."""


@dataclass(frozen=True)
class Appointment:
    day: date
    at: time
    with_whom: str
    notes: str

    @classmethod
    def from_arguments(cls, args: dict[str, Any]) -> Appointment:
        try:
            day = date.fromisoformat(str(args["date"]))
            at = time.fromisoformat(str(args["time"]))
        except (KeyError, ValueError) as exc:
            raise InvalidArguments(
                f"date must be YYYY-MM-DD and time HH:MM ({exc})"
            ) from None
        with_whom = str(args.get("with_whom") or "").strip()
        if not with_whom:
            raise InvalidArguments("with_whom is required")
        return cls(day, at, with_whom, str(args.get("notes") or "").strip())

    def summary(self, german: bool) -> str:
        """E.g. "Mo 23.11.2026, 10:30 Uhr bei Praxis Dr. Müller"."""
        if german:
            return (
                f"{_DE_DAYS[self.day.weekday()]} {self.day:%d.%m.%Y}, "
                f"{self.at:%H:%M} Uhr bei {self.with_whom}"
            )
        day = f"{_EN_DAYS[self.day.weekday()]} {self.day:%d %b %Y}"
        return f"{day}, {self.at:%H:%M} with {self.with_whom}"
