"""Instructions, tools and summaries of a booking call (pure domain)."""

from __future__ import annotations

from media_bridge.domain.booking_call import (
    Appointment,
    CallRequest,
    inbound_session,
    outbound_session,
)
from media_bridge.domain.conversation_record import percentile_ms

DATA = {
    "title": "Zahnreinigung",
    "description": "Professionelle Reinigung",
    "number_to_call": "+49305550100",
    "callback_number": "+4915112345678",
    "preferred_time": "nächste Woche",
    "user_profile": {"username": "Erika Mustermann", "street": "Hauptstr.",
                     "house_number": "1", "postal_code": "10115", "city": "Berlin"},
}


def test_german_instructions_for_a_german_number() -> None:
    spec = outbound_session(CallRequest.from_event_data(DATA))
    text = spec.instructions
    assert "im Auftrag von Erika Mustermann" in text and "Zahnreinigung" in text
    assert "+4915112345678" in text and "nächste Woche" in text
    assert "nur nennen, wenn danach gefragt" in text and "Hauptstr. 1, 10115 Berlin" in text
    assert text.splitlines()[-1] == "Number called: +49305550100"
    assert [t.name for t in spec.tools] == ["book_appointment", "report_no_availability",
                                            "end_call"]


def test_english_instructions_otherwise_and_inbound_tools() -> None:
    spec = outbound_session(CallRequest.from_event_data({**DATA, "number_to_call": "+14155550100"}))
    assert "on behalf of Erika Mustermann" in spec.instructions
    assert spec.instructions.endswith("Number called: +14155550100")
    assert [t.name for t in inbound_session("Be nice.").tools] == ["end_call"]


def test_summaries() -> None:
    appointment = Appointment.from_arguments(
        {"date": "2026-11-23", "time": "10:30", "with_whom": "Praxis Dr. Müller"})
    assert appointment.summary(german=True) == "Mo 23.11.2026, 10:30 Uhr bei Praxis Dr. Müller"
    assert appointment.summary(german=False) == "Mon 23 Nov 2026, 10:30 with Praxis Dr. Müller"


def test_percentiles() -> None:
    assert percentile_ms([], 50) is None
    assert percentile_ms([300, 100, 200, 400], 50) == 200
    assert percentile_ms(list(range(1, 101)), 95) == 95
