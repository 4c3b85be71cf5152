"""The SIMULATED LLM's rules: plain word lists, no AI.

What a request's text says is read in three steps, the same for every schema:

* the caller's lines are the lines labelled ``Caller:``, ``Callee:``, ``Customer:`` or
  ``User:`` (any case); a text without such labels is all the caller's;
* sentiment: the caller's lines' words are counted against a positive and a negative
  list (English, Italian, German); more positive words is POSITIVE, more negative ones
  NEGATIVE, a tie (none included) NEUTRAL;
* success: the whole text names a success (booked, confirmed, prenotato, confermato,
  gebucht, bestätigt…) outside a failure phrase ("no_availability", "not booked",
  "nicht gebucht"…, which are taken out first);
* summary: the first caller line (at most 160 characters), then the outcome.

Names are taken after "my name is", "this is", "I'm", "mi chiamo", "sono", "ich heiße",
"mein Name ist", "hier ist" (one or two capitalised words), for fields about names;
a ``Name:`` fact (a labelled line, see :mod:`lead_rules`) comes before them all.
The text's facts (``Label: value`` lines) are kept on the reading for the schema filler.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from ringbook_simulators.responses.lead_rules import facts_of

CALLER_LABELS: Final = ("caller", "callee", "customer", "user")
_LABEL = re.compile(r"^\s*([A-Za-z]+)\s*:\s*(.*)$")

POSITIVE_WORDS: Final = frozenset({
    # en
    "thanks", "thank", "great", "perfect", "wonderful", "excellent", "good", "happy",
    "glad", "lovely", "awesome", "nice", "fantastic",
    # it
    "grazie", "perfetto", "perfetta", "ottimo", "ottima", "benissimo", "bene", "gentile",
    "fantastico", "contento", "contenta",
    # de
    "danke", "dank", "super", "toll", "prima", "wunderbar", "perfekt", "gut", "klasse",
    "freundlich",
})
NEGATIVE_WORDS: Final = frozenset({
    # en
    "bad", "terrible", "awful", "angry", "unhappy", "annoyed", "disappointed", "problem",
    "complaint", "rude", "wrong", "worst", "horrible", "useless", "never",
    # it
    "male", "pessimo", "pessima", "arrabbiato", "arrabbiata", "deluso", "delusa",
    "problema", "reclamo", "sbagliato", "terribile", "mai",
    # de
    "schlecht", "schrecklich", "ärgerlich", "verärgert", "enttäuscht",
    "beschwerde", "falsch", "unfreundlich", "nie", "furchtbar",
})
SUCCESS_MARKERS: Final = ("booked", "confirmed", "reserved", "prenotat", "confermat",
                          "gebucht", "bestätigt", "reserviert")
FAILURE_MARKERS: Final = ("no_availability", "not booked", "no availability", "cancelled",
                          "canceled", "non prenotat", "nicht gebucht", "kein termin")
# The introduction in any case, the name itself capitalised ("I'm happy" names nobody).
_NAME_INTRO = re.compile(
    r"(?i:my name is|this is|i am|i'm|mi chiamo|sono|ich heiße|ich heisse|mein name ist"
    r"|hier ist|hier spricht)\s+([A-ZÀ-Ý][\w'\u2019-]+(?:\s+[A-ZÀ-Ý][\w'\u2019-]+)?)"
)
_WORD = re.compile(r"[\wäöüßàèéìòù]+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d ()/-]{6,}\d")
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")
_OUTCOME = re.compile(r"^\s*outcome\s*:\s*(.+)$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Reading:
    """What the rules made of one request's text."""

    text: str
    caller_lines: tuple[str, ...]
    sentiment: str
    success: bool
    summary: str
    names: tuple[str, ...]
    facts: Mapping[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str | None:
        # A labelled "Name:" states the name; an introduction only suggests one.
        if fact := self.facts.get("name"):
            return fact
        return self.names[0] if self.names else None

    def first(self, pattern: re.Pattern[str]) -> str | None:
        found = pattern.search(self.text)
        return found.group(0) if found else None

    @property
    def email(self) -> str | None:
        return self.first(_EMAIL)

    @property
    def phone(self) -> str | None:
        return self.first(_PHONE)

    def number(self) -> float | None:
        for line in self.caller_lines:
            if found := _NUMBER.search(line):
                return float(found.group(0).replace(",", "."))
        return None


def caller_lines(text: str) -> tuple[str, ...]:
    labelled: list[str] = []
    saw_label = False
    for line in text.splitlines():
        match = _LABEL.match(line)
        if match is None:
            continue
        label = match.group(1).lower()
        if label in CALLER_LABELS:
            labelled.append(match.group(2).strip())
        if label in (*CALLER_LABELS, "agent", "assistant"):
            saw_label = True
    if saw_label:
        return tuple(line for line in labelled if line)
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def sentiment_of(lines: tuple[str, ...]) -> str:
    words = [w.lower() for line in lines for w in _WORD.findall(line)]
    positive = sum(w in POSITIVE_WORDS for w in words)
    negative = sum(w in NEGATIVE_WORDS for w in words)
    if positive > negative:
        return "POSITIVE"
    if negative > positive:
        return "NEGATIVE"
    return "NEUTRAL"


def success_of(text: str) -> bool:
    lowered = text.lower()
    # "not booked" contains "booked": failure phrases are taken out first, so only a
    # success word outside them counts.
    for marker in FAILURE_MARKERS:
        lowered = lowered.replace(marker, " ")
    return any(marker in lowered for marker in SUCCESS_MARKERS)


def read(text: str) -> Reading:
    lines = caller_lines(text)
    success = success_of(text)
    outcome_line = _OUTCOME.search(text)
    outcome = (outcome_line.group(1).strip() if outcome_line is not None
               else "booked" if success else "not booked")
    first = lines[0][:160] if lines else "The caller said nothing"
    summary = (f"{first.rstrip('.!?')}. Outcome: {outcome}; the caller "
               f"{'got' if success else 'did not get'} what they called for.")
    names = tuple(dict.fromkeys(m.group(1) for m in _NAME_INTRO.finditer(text)))
    return Reading(text=text, caller_lines=lines, sentiment=sentiment_of(lines),
                   success=success, summary=summary, names=names, facts=facts_of(text))
