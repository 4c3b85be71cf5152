"""The words of lead files: column headers, channels, DISG types, statuses, languages.

Users export from whatever CRM or sheet they kept, in German or English, so every word is
matched by a key that ignores case, spaces, punctuation and the spelling of umlauts
("E-Mail-Adresse", "email address" and "EMAILADRESSE" are one; "Persönlichkeitstyp" and
"Persoenlichkeitstyp" too).
"""

from __future__ import annotations

import re
import unicodedata

FIELDS = (
    "name",
    "first_name",
    "last_name",
    "email",
    "phone",
    "status",
    "channel",
    "notes",
    "last_contact",
    "disg_type",
    "language",
    "company",
)

_HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "kontakt", "kunde", "kundenname", "ansprechpartner", "full name",
             "contact", "contact name", "vollständiger name"),
    "first_name": ("vorname", "first name", "firstname", "given name"),
    "last_name": ("nachname", "last name", "lastname", "surname", "familienname",
                  "family name"),
    "email": ("e-mail", "email", "mail", "e-mail-adresse", "email address", "e-mail address",
              "mailadresse"),
    "phone": ("telefon", "tel.", "telefonnummer", "handy", "handynummer", "mobil",
              "mobilnummer", "mobiltelefon", "phone", "phone number", "mobile", "telephone",
              "tel. nr.", "rufnummer"),
    "status": ("status", "lead status"),
    "channel": ("kanal", "kontaktweg", "kontaktkanal", "bevorzugter kanal", "channel",
                "preferred channel"),
    "notes": ("notizen", "notiz", "bemerkung", "bemerkungen", "kommentar", "kommentare",
              "anmerkungen", "notes", "note", "comment", "comments"),
    "last_contact": ("letzter kontakt", "zuletzt kontaktiert", "letzter kontakt am",
                     "last contact", "last_contact", "last contacted", "last contact date"),
    "disg_type": ("disg", "disg-typ", "disg typ", "disc", "disc type", "disg_type",
                  "persönlichkeitstyp", "personality type"),
    "language": ("sprache", "language", "lang"),
    "company": ("firma", "unternehmen", "firmenname", "company", "organisation",
                "organization"),
}

_CHANNEL_ALIASES: dict[str, tuple[str, ...]] = {
    "WhatsApp": ("whatsapp", "wa", "whats app"),
    "E-Mail": ("email", "e-mail", "mail"),
    "Telefon": ("phone", "telefon", "tel", "anruf", "call", "telephone", "phone call"),
    "SMS": ("sms", "text message"),
    "LinkedIn": ("linkedin",),
}

# DISG (German DISC): Dominant, Initiativ, Stetig, Gewissenhaft; DISC's C is our G. The
# colours are the ones DISG trainings hand out (red, yellow, green, blue).
_DISG_ALIASES: dict[str, tuple[str, ...]] = {
    "D": ("d", "dominant", "dominanz", "dominance", "rot", "red"),
    "I": ("i", "initiativ", "initiative", "influence", "influential", "gelb", "yellow"),
    "S": ("s", "stetig", "stetigkeit", "steadiness", "steady", "grün", "green"),
    "G": ("g", "c", "gewissenhaft", "gewissenhaftigkeit", "conscientious",
          "conscientiousness", "compliance", "blau", "blue"),
}

_LANGUAGE_ALIASES: dict[str, tuple[str, ...]] = {
    "de": ("de", "deu", "ger", "deutsch", "german"),
    "en": ("en", "eng", "englisch", "english"),
    "it": ("it", "ita", "italienisch", "italian", "italiano"),
    "fr": ("fr", "fra", "französisch", "french", "français"),
    "es": ("es", "spa", "spanisch", "spanish", "español"),
    "nl": ("nl", "niederländisch", "dutch", "nederlands"),
    "pl": ("pl", "polnisch", "polish", "polski"),
    "pt": ("pt", "portugiesisch", "portuguese", "português"),
    "tr": ("tr", "türkisch", "turkish", "türkçe"),
    "ru": ("ru", "russisch", "russian"),
}

CLOSED_STATUSES: frozenset[str] = frozenset({
    "gewonnen", "verloren", "abgeschlossen", "kunde", "won", "lost", "closed",
    "kein interesse", "not interested", "abgesagt",
})

MAX_WORD = 40  # channels and statuses are labels, not text
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_REGIONAL_TAG = re.compile(r"([a-z]{2})[-_][a-z]{2}")


def word_key(text: str) -> str:
    """``text`` as a match key: casefolded, umlauts spelled out, only letters and digits."""
    folded = unicodedata.normalize("NFC", text).casefold().translate(_UMLAUTS)
    ascii_only = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()
    return _NOT_ALNUM.sub("", ascii_only)


def _lookup(aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {word_key(alias): canonical for canonical, words in aliases.items() for alias in words}


_HEADERS = _lookup(_HEADER_ALIASES)
_CHANNELS = _lookup(_CHANNEL_ALIASES)
_DISG = _lookup(_DISG_ALIASES)
_LANGUAGES = _lookup(_LANGUAGE_ALIASES)


def field_of(header: str) -> str | None:
    """The canonical field a column header names, or None for a column we do not know."""
    return _HEADERS.get(word_key(header))


def channel_of(text: str) -> str:
    """The canonical channel, or the text as given (stripped, at most 40 characters)."""
    return _CHANNELS.get(word_key(text), text.strip()[:MAX_WORD])


def disg_of(text: str) -> str | None:
    """D, I, S or G for a DISG (or DISC) type however written ("Typ I", "stetig"), else None."""
    key = word_key(text)
    for affix in ("type", "typ"):  # the longer first: "typec" is type C, not "ec"
        # "Typ I", "I-Typ", "type C": the word around the letter says nothing.
        if key != affix and (key.startswith(affix) or key.endswith(affix)):
            key = key.removeprefix(affix) if key.startswith(affix) else key.removesuffix(affix)
            break
    return _DISG.get(key)


def status_of(text: str) -> str | None:
    """The status as a lowercase label (at most 40 characters), or None when empty."""
    label = " ".join(text.split()).lower()[:MAX_WORD]
    return label or None


def language_of(text: str) -> str | None:
    """A two-letter ISO 639-1 code for "de", "Deutsch", "German", "de-DE" ..., else None."""
    regional = _REGIONAL_TAG.fullmatch(text.strip().lower())
    if regional:
        return _LANGUAGES.get(regional.group(1))
    return _LANGUAGES.get(word_key(text))


def header_aliases(field: str) -> tuple[str, ...]:
    """The headers a column of ``field`` may have, as a person would write them."""
    return _HEADER_ALIASES.get(field, ())
