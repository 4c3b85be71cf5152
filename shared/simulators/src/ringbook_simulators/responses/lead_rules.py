"""The SIMULATED LLM's rules for leads: labelled facts, dates, the need to act, language.

A request about a lead (catalog-service's lead analysis and follow-up drafts) gives its
facts as labelled lines; they are read by rule, never by a model:

==========================  ==========================================================
what                        rule
==========================  ==========================================================
facts                       lines ``Label: value`` (label: letters, spaces, hyphens, at
                            most 30 characters; the value may hold ``:``), the first of
                            each label; labels lowercased, spaces/hyphens -> ``_``
                            ("Last contact" -> ``last_contact``, "E-Mail" -> ``e_mail``)
dates                       ``yyyy-mm-dd`` or ``dd.mm.yyyy`` in a value, as ISO
Today                       the ``today`` fact, else the real UTC date
needs action                the ``status`` fact missing or "neu"/"new"/"nuovo", or the
                            ``last_contact`` fact missing or more than 30 days before
                            Today
next action                 Today + 2 days when action is needed, else + 14
language                    the ``language`` fact (de/en/it, or its name), else de when
                            the text has German words ("und", "für", "hat"…), else en
channel                     the ``channel`` fact as WhatsApp | SMS | E-Mail | Telefon
                            (any other value as given)
DISG type                   the ``disg_type`` (or ``disg``/``disc``) fact's first letter:
                            D, I, S, G (DISC's C reads as G)
action / reason sentences   in the language, naming the lead and the channel, with the
                            notes (action) or why to act (reason)
==========================  ==========================================================
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final

_FACT = re.compile(r"^\s*([A-Za-zÀ-ÿ][A-Za-zÀ-ÿ -]{0,29}?)\s*:\s*(.*?)\s*$")
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DOTTED = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_WORD = re.compile(r"[\wäöüß]+", re.IGNORECASE)
NEW_STATUSES: Final = frozenset({"neu", "new", "nuovo"})
STALE_AFTER_DAYS: Final = 30
SOON_DAYS, LATER_DAYS = 2, 14
GERMAN_WORDS: Final = frozenset({"und", "für", "hat", "ist", "nicht", "mit", "wartet",
                                 "bitte", "eine", "der", "das", "schreib", "mir", "noch"})
_LANGUAGES: Final = {"de": "de", "ger": "de", "deu": "de", "en": "en", "eng": "en",
                     "it": "it", "ita": "it"}
_CHANNELS: Final = (("whatsapp", "WhatsApp"), ("sms", "SMS"), ("mail", "E-Mail"),
                    ("telefon", "Telefon"), ("phone", "Telefon"), ("call", "Telefon"),
                    ("anruf", "Telefon"))
# Facts only a lead has: a call transcript's labels (Caller, Agent, Outcome) are none.
LEAD_LABELS: Final = ("name", "channel", "status", "last_contact", "notes")


def normalise(label: str) -> str:
    return re.sub(r"[\s-]+", "_", label.strip().lower())


def facts_of(text: str) -> dict[str, str]:
    facts: dict[str, str] = {}
    for line in text.splitlines():
        match = _FACT.match(line)
        if match is not None and match.group(2):
            # The first line of a label wins: a later quote of it in a conversation
            # must not overwrite the lead's own fact.
            facts.setdefault(normalise(match.group(1)), match.group(2))
    return facts


def parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        if found := _ISO.search(value):
            return date(int(found[1]), int(found[2]), int(found[3]))
        if found := _DOTTED.search(value):
            return date(int(found[3]), int(found[2]), int(found[1]))
    except ValueError:  # 2026-02-31 names no day
        return None
    return None


def today_of(facts: Mapping[str, str]) -> date:
    return parse_date(facts.get("today")) or datetime.now(UTC).date()


def is_lead(facts: Mapping[str, str]) -> bool:
    return any(facts.get(label) for label in LEAD_LABELS)


def language_of(facts: Mapping[str, str], text: str) -> str:
    given = facts.get("language", "").strip().lower()
    for prefix, language in _LANGUAGES.items():
        if given.startswith(prefix):
            return language
    words = {w.lower() for w in _WORD.findall(text)}
    return "de" if words & GERMAN_WORDS else "en"


def channel_of(facts: Mapping[str, str]) -> str | None:
    given = facts.get("channel", "").strip()
    lowered = given.lower().replace("-", "")
    return next((name for key, name in _CHANNELS if key in lowered), given or None)


def disg_of(facts: Mapping[str, str]) -> str | None:
    given = (facts.get("disg_type") or facts.get("disg") or facts.get("disc") or "").strip()
    letter = given[:1].upper()
    if not letter or letter not in "DISGC":
        return None
    return "G" if letter == "C" else letter


@dataclass(frozen=True)
class Lead:
    """One lead as its facts give it."""

    name: str | None
    channel: str | None
    language: str
    disg: str | None
    status: str | None
    notes: str | None
    last_contact: date | None
    today: date

    @property
    def first_name(self) -> str | None:
        return self.name.split()[0] if self.name else None

    @property
    def days_since_contact(self) -> int | None:
        return (self.today - self.last_contact).days if self.last_contact else None

    @property
    def needs_action(self) -> bool:
        if not self.status or self.status.lower() in NEW_STATUSES:
            return True
        days = self.days_since_contact
        return days is None or days > STALE_AFTER_DAYS

    @property
    def next_action_at(self) -> date:
        try:
            return self.today + timedelta(days=SOON_DAYS if self.needs_action else LATER_DAYS)
        except OverflowError:  # "Today: 9999-12-31" is a client's to send, not a 500
            return date.max


def lead_of(facts: Mapping[str, str], text: str, name: str | None) -> Lead:
    notes = facts.get("notes") or facts.get("note") or facts.get("notizen")
    return Lead(name=name, channel=channel_of(facts), language=language_of(facts, text),
                disg=disg_of(facts), status=facts.get("status"),
                notes=notes.rstrip(" .") if notes else None,
                last_contact=parse_date(facts.get("last_contact")), today=today_of(facts))


_WHO: Final = {"de": "den Lead", "en": "the lead", "it": "il contatto"}
_VIA: Final = {"de": "per", "en": "via", "it": "via"}
_ACT: Final = {  # (action needed, no action needed); {who} already carries the channel
    "de": ("{who} nachfassen", "{who} in zwei Wochen erneut kontaktieren"),
    "en": ("Follow up with {who}", "Check in with {who} in two weeks"),
    "it": ("Ricontattare {who}", "Risentire {who} tra due settimane"),
}
_WHY: Final = {
    "de": ("kein Status erfasst", "neuer Lead", "kein letzter Kontakt erfasst",
           "letzter Kontakt vor {days} Tagen", "Status {status}, letzter Kontakt vor {days} "
           "Tagen: kein Handlungsbedarf"),
    "en": ("no status recorded", "a new lead", "no last contact recorded",
           "last contact {days} days ago", "status {status}, last contact {days} days ago: "
           "no action needed"),
    "it": ("nessuno stato registrato", "un nuovo contatto", "nessun ultimo contatto "
           "registrato", "ultimo contatto {days} giorni fa", "stato {status}, ultimo "
           "contatto {days} giorni fa: nessuna azione necessaria"),
}


def _who(lead: Lead) -> str:
    who = lead.name or _WHO[lead.language]
    return f"{who} {_VIA[lead.language]} {lead.channel}" if lead.channel else who


def _capitalised(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]  # "den Lead …" opens a sentence too


def latest_note(lead: Lead) -> str | None:
    """The notes' last clause: notes are written oldest first, so it is the news."""
    if not lead.notes:
        return None
    clauses = [c.strip() for c in re.split(r"[,;.\n]", lead.notes) if c.strip()]
    return clauses[-1] if clauses else None


def action_sentence(lead: Lead) -> str:
    """E.g. "Lea Kramer per WhatsApp nachfassen: wartet auf Angebot"."""
    soon, later = _ACT[lead.language]
    sentence = (soon if lead.needs_action else later).format(who=_who(lead))
    note = latest_note(lead)
    return _capitalised(f"{sentence}: {note}" if note else sentence)


def reason_sentence(lead: Lead) -> str:
    no_status, new, no_contact, stale, fine = _WHY[lead.language]
    days = lead.days_since_contact
    why: list[str] = []
    if not lead.status:
        why.append(no_status)
    elif lead.status.lower() in NEW_STATUSES:
        why.append(new)
    if days is None:
        why.append(no_contact)
    elif days > STALE_AFTER_DAYS:
        why.append(stale.format(days=days))
    if not why:
        why.append(fine.format(status=lead.status, days=days))
    return _capitalised(f"{_who(lead)}: {', '.join(why)}.")
