"""Follow-up drafts (seed 003's ``generate_message``): what the model is told, so the
draft fits the lead's channel, language, notes, last contact and DISG type, and how its
answer becomes the reply the frontend shows.

The channel decides the form: a WhatsApp or SMS message is short and has no subject; an
e-mail has a subject and a body; a phone lead gets a call script. Limits the model might
overrun are enforced here, at a sentence boundary, so a WhatsApp draft stays short even
when the model rambles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from ringbook.contracts.leads import LeadState

from catalog_service.domain.lead_analysis import render_facts

SCHEMA_NAME: Final = "follow_up_draft"
MAX_TURNS: Final = 20
MAX_TURN_CHARS: Final = 4000
# Characters of a draft's body per channel: messengers are read on a phone.
BODY_LIMITS: Final = {"WhatsApp": 700, "SMS": 480}
DEFAULT_BODY_LIMIT: Final = 4000

_FORMS: Final = {
    "WhatsApp": "a WhatsApp message: informal, at most three short sentences (under 300 "
                "characters), first name only, no subject line",
    "SMS": "an SMS: at most two short sentences (under 300 characters), no subject line",
    "E-Mail": "an e-mail: a short subject line, then a body with a greeting using the "
              "full name, three to six sentences and a sign-off",
    "Telefon": "a phone call script: the opening sentence, the purpose, one question to "
               "ask; no subject line",
    "LinkedIn": "a LinkedIn message: professional, at most four sentences, no subject",
}
_TONES: Final = {
    "D": "The lead is DISG type D (dominant): be brief and direct, lead with the result.",
    "I": "The lead is DISG type I (initiative): be warm, personal and enthusiastic; an "
         "emoji is fine.",
    "S": "The lead is DISG type S (steady): be calm, patient and reassuring; no pressure.",
    "G": "The lead is DISG type G (conscientious): be precise and factual, give details, "
         "no emoji.",
}
LANGUAGE_NAMES: Final = {"de": "German", "en": "English", "it": "Italian", "fr": "French",
                         "es": "Spanish", "nl": "Dutch"}
# An e-mail needs a subject even when the model gave none.
FALLBACK_SUBJECTS: Final = {"de": "Kurze Rückmeldung", "en": "Following up",
                            "it": "Un breve aggiornamento", "fr": "Un petit suivi",
                            "es": "Un breve seguimiento", "nl": "Even een update"}
SUBJECT_LABELS: Final = {"de": "Betreff", "it": "Oggetto", "fr": "Objet", "es": "Asunto",
                         "nl": "Onderwerp"}
_SENTENCE_END = re.compile(r"[.!?…](?=\s|$)")


@dataclass(frozen=True)
class Turn:
    role: str  # "user" or "assistant"
    content: str


@dataclass(frozen=True)
class Draft:
    subject: str | None
    body: str


class InvalidDraft(ValueError):
    """The model's answer is no draft (no body, a subject that is no text)."""


def output_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["subject", "body"],
        "properties": {"subject": {"type": ["string", "null"]}, "body": {"type": "string"}},
    }


def instructions(lead: LeadState, language: str) -> str:
    form = _FORMS.get(lead.channel or "", "a short, friendly follow-up message")
    parts = [
        "You draft follow-up messages for a salesperson to send to an existing customer "
        f"(a lead). Write {form}.",
        f"Write in {LANGUAGE_NAMES.get(language, language)}.",
        "Build on the notes and on how long ago the last contact was; never invent "
        "prices, dates or promises that are not in the notes. Follow the salesperson's "
        "latest request in the conversation.",
    ]
    if lead.disg_type:
        parts.append(_TONES[lead.disg_type])
    return " ".join(parts)


def render_input(lead: LeadState, turns: list[Turn], today: date) -> str:
    lines = render_facts(lead, today)
    lines.append("Conversation:")
    for turn in turns[-MAX_TURNS:]:
        label = "Assistant" if turn.role == "assistant" else "User"
        lines.append(f"{label}: {' '.join(turn.content.split())[:MAX_TURN_CHARS]}")
    return "\n".join(lines)


def parse_draft(raw: Any) -> Draft:
    if not isinstance(raw, dict) or not isinstance(raw.get("body"), str):
        raise InvalidDraft("the answer has no body")
    subject = raw.get("subject")
    if subject is not None and not isinstance(subject, str):
        raise InvalidDraft("the subject is not a string")
    body = raw["body"].strip()
    if not body:
        raise InvalidDraft("the body is empty")
    return Draft(subject=(subject or "").strip() or None, body=body)


def shortened(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters at the last sentence end, else a word."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    ends = list(_SENTENCE_END.finditer(head))
    if ends and ends[-1].end() > limit // 2:
        return head[: ends[-1].end()]
    return head[: limit - 1].rsplit(" ", 1)[0] + "…"


def shaped(draft: Draft, lead: LeadState, language: str) -> Draft:
    """The draft in its channel's form: a subject only for e-mail, a body within the
    channel's limit."""
    body = shortened(draft.body, BODY_LIMITS.get(lead.channel or "", DEFAULT_BODY_LIMIT))
    subject = None
    if lead.channel == "E-Mail":
        subject = draft.subject or FALLBACK_SUBJECTS.get(language, FALLBACK_SUBJECTS["en"])
    return Draft(subject=subject, body=body)


def reply_text(draft: Draft, language: str) -> str:
    if draft.subject is None:
        return draft.body
    return f"{SUBJECT_LABELS.get(language, 'Subject')}: {draft.subject}\n\n{draft.body}"
