"""The sentences the booking functions answer, for the model to say back: English, and
Italian or German when the caller's language starts with ``it`` or ``de``. Pure."""

from __future__ import annotations

from typing import Any

_MESSAGES: dict[str, dict[str, str]] = {
    "available": {
        "en": "Slot available with {spots} spots remaining",
        "it": "Fascia disponibile, {spots} posti rimasti",
        "de": "Termin verfügbar, noch {spots} Plätze frei",
    },
    "full": {
        "en": "That slot is full.{alternatives}",
        "it": "Quella fascia è al completo.{alternatives}",
        "de": "Dieser Termin ist ausgebucht.{alternatives}",
    },
    "alternatives": {
        "en": " Free instead: {list}.",
        "it": " Ancora liberi: {list}.",
        "de": " Stattdessen frei: {list}.",
    },
    "booked": {
        "en": "Your spa session is booked for {day} from {start} to {end}. "
              "Your reference is {reference}.",
        "it": "La sua sessione è prenotata per il {day} dalle {start} alle {end}. "
              "Il suo codice è {reference}.",
        "de": "Ihr Termin ist am {day} von {start} bis {end} gebucht. "
              "Ihre Referenz ist {reference}.",
    },
    "cancelled": {
        "en": "Booking {reference} is cancelled.",
        "it": "La prenotazione {reference} è cancellata.",
        "de": "Die Buchung {reference} ist storniert.",
    },
    "already_cancelled": {
        "en": "Booking {reference} was already cancelled.",
        "it": "La prenotazione {reference} era già cancellata.",
        "de": "Die Buchung {reference} war bereits storniert.",
    },
    "no_booking": {
        "en": "I could not find a booking {reference} for this phone number.",
        "it": "Non trovo una prenotazione {reference} per questo numero.",
        "de": "Ich finde keine Buchung {reference} für diese Nummer.",
    },
    "bad_date": {
        "en": "Please give the date as year, month and day (YYYY-MM-DD).",
        "it": "Mi serve la data come anno, mese e giorno (AAAA-MM-GG).",
        "de": "Bitte nennen Sie das Datum als Jahr, Monat und Tag (JJJJ-MM-TT).",
    },
    "past_date": {
        "en": "That date is in the past; please choose today or a later day.",
        "it": "Quella data è già passata; scelga oggi o un giorno successivo.",
        "de": "Dieses Datum liegt in der Vergangenheit; bitte wählen Sie heute oder später.",
    },
    "too_far": {
        "en": "Bookings open at most {days} days ahead; please choose an earlier day.",
        "it": "Si prenota al massimo {days} giorni prima; scelga un giorno più vicino.",
        "de": "Buchungen sind höchstens {days} Tage im Voraus möglich; bitte früher wählen.",
    },
    "started": {
        "en": "The {start} slot has already started today.{alternatives}",
        "it": "La fascia delle {start} di oggi è già iniziata.{alternatives}",
        "de": "Der Termin um {start} hat heute schon begonnen.{alternatives}",
    },
    "no_slot": {
        "en": "There is no slot starting at {start} on {day}.{alternatives}",
        "it": "Non c'è una fascia che inizia alle {start} il {day}.{alternatives}",
        "de": "Am {day} beginnt um {start} kein Termin.{alternatives}",
    },
    "missing": {
        "en": "I still need the {field}.",
        "it": "Mi serve ancora: {field}.",
        "de": "Mir fehlt noch: {field}.",
    },
    "unknown_function": {
        "en": "I cannot do that here.",
        "it": "Questo non posso farlo qui.",
        "de": "Das kann ich hier nicht tun.",
    },
}


def language_of(tag: str | None) -> str:
    low = (tag or "").strip().lower()
    for lang in ("it", "de"):
        if low.startswith(lang):
            return lang
    return "en"


def say(key: str, language: str | None, **values: Any) -> str:
    return _MESSAGES[key][language_of(language)].format(**values)
