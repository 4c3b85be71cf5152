"""The booking confirmation SMS (``SEND_BOOKING_SMS``): consumer ``catalog-booking-sms``
sends one text per ``booking_made`` on the CATALOG stream, in the caller's language.

It runs in the pull worker's transaction, which holds the inbox claim of the event: a
redelivery of an event whose SMS went out (and whose transaction committed) is a no-op.
The one window left is a crash after the carrier took the message and before the
commit: that booking's SMS is sent again on redelivery. A second text is the lesser
fault; a confirmation never sent, the greater: so the claim is not committed before
sending. A message the carrier refuses for good (a number that cannot take SMS) is
logged and dropped; a carrier that is down is retried like any outage.

A booking older than :data:`MAX_AGE` when its event is handled is not texted: the
consumer starts from the beginning of the stream, so turning SMS on (or a new durable
name) would otherwise text every caller who ever booked; and a confirmation hours late,
after an outage, tells the caller less than it confuses.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from ringbook.bus.worker import ConsumerSpec
from ringbook.contracts.bookings import BookingMade
from ringbook.contracts.streams import CATALOG
from ringbook.events import Envelope
from ringbook.logging import get_logger

log = get_logger(__name__)

CONSUMER = "catalog-booking-sms"
SPEC = ConsumerSpec(
    durable=CONSUMER, stream=CATALOG,
    filter_subjects=[CATALOG.subject_filter(event_type="booking_made")],
    # One transaction per text: a batch that cannot commit would send all of its again.
    batch_commit=False,
)

MAX_AGE = timedelta(minutes=15)

_TEXTS = {
    "it": "{business}: prenotazione confermata per {name}, {day} ore {start}-{end}. "
          "Codice {reference}. Per annullare, richiami e indichi il codice.",
    "de": "{business}: Buchung bestätigt für {name}, {day} {start}-{end} Uhr. "
          "Buchungsnummer {reference}. Zum Stornieren rufen Sie an und nennen die Nummer.",
    "en": "{business}: booking confirmed for {name}, {day} {start}-{end}. "
          "Reference {reference}. To cancel, call us and give the reference.",
}


class SmsRejected(Exception):
    """The carrier refused this message for good (retrying sends nothing)."""


class SmsSender(Protocol):
    async def send(self, *, to: str, from_: str, body: str) -> str:
        """Send one SMS; its carrier id. Raises SmsRejected, or another error when the
        carrier could not be reached (the event is then redelivered)."""
        ...


def confirmation_text(booking: BookingMade) -> str:
    language = (booking.language or "en").split("-")[0].lower()
    template = _TEXTS.get(language, _TEXTS["en"])
    return template.format(
        business=booking.business_name, name=booking.customer_name,
        day=booking.booking_date.isoformat(), start=f"{booking.slot_start:%H:%M}",
        end=f"{booking.slot_end:%H:%M}", reference=booking.reference)


async def on_booking_made(sender: SmsSender, event: Envelope, *,
                          from_number: str | None, now: datetime) -> None:
    """Handler of ``catalog-booking-sms``; ``from_number`` None: the business's own."""
    booking = event.data
    if not isinstance(booking, BookingMade):
        return  # the filter lets only booking_made through
    if now - event.occurred_at > MAX_AGE:
        log.info("booking_sms_too_late", reference=booking.reference,
                 booked_at=event.occurred_at.isoformat())
        return
    try:
        sid = await sender.send(to=booking.customer_phone,
                                from_=from_number or booking.number,
                                body=confirmation_text(booking))
    except SmsRejected as exc:
        log.warning("booking_sms_rejected", reference=booking.reference, error=str(exc))
        return
    log.info("booking_sms_sent", reference=booking.reference, message_sid=sid)
